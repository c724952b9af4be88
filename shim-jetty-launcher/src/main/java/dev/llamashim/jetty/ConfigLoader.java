package dev.llamashim.jetty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Assembles the launcher's configuration: built-in defaults, overridden by the config file, by
 * {@code LLAMASHIM_<KEY>} environment variables, then by flags. The file is {@code --config PATH},
 * else {@code $LLAMASHIM_CONFIG}, else {@code ./config.yaml} when it exists; with none, defaults rule.
 */
public final class ConfigLoader {

    /** The file read from the working directory when no other is named. */
    public static final String DEFAULT_FILE_NAME = "config.yaml";
    /** Environment variable naming the config file (weaker than {@code --config}). */
    public static final String CONFIG_ENV = "LLAMASHIM_CONFIG";

    private static final String ENV_PREFIX = "LLAMASHIM_";

    private ConfigLoader() {}

    /**
     * Parses {@code args} and loads the configuration they describe.
     *
     * @param env the environment (pass {@code System.getenv()}; tests pass a map)
     * @param workingDir where {@code ./config.yaml} and relative paths in flags and variables are looked up
     * @throws LauncherException (exit code 2) naming the key, its source and what was expected
     */
    public static EffectiveConfig load(String[] args, Map<String, String> env, Path workingDir) {
        return load(CommandLine.parse(Arrays.asList(args)), env, workingDir);
    }

    /** Loads the configuration {@code commandLine} describes; see {@link #load(String[], Map, Path)}. */
    public static EffectiveConfig load(CommandLine commandLine, Map<String, String> env, Path workingDir) {
        LauncherConfig.Builder builder = LauncherConfig.builder();
        Map<String, ConfigSource> sources = new HashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            sources.put(key.name(), ConfigSource.builtIn());
        }

        Path file = configFile(commandLine, env, workingDir);
        if (file != null) {
            for (YamlConfigFile.Entry entry : YamlConfigFile.read(file)) {
                ConfigKey<?> key = ConfigKeys.byName(entry.key()).orElseThrow(() -> LauncherException.config(
                        "unknown key \"" + entry.key() + "\" in " + entry.value().source()
                                + KeySuggestion.closestTo(entry.key()).map(k -> " (did you mean " + k.name() + "?)").orElse("")
                                + "; the keys are " + names()));
                key.readInto(builder, entry.value());
                sources.put(key.name(), entry.value().source());
            }
        }

        for (String variable : unknownVariables(env)) {
            throw LauncherException.config("unknown environment variable " + variable
                    + KeySuggestion.closestTo(variable.substring(ENV_PREFIX.length()))
                            .map(k -> " (did you mean " + k.envName() + "?)").orElse("")
                    + "; llamashim reads " + CONFIG_ENV + " and LLAMASHIM_<KEY> for the keys " + names());
        }
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            String value = env.get(key.envName());
            // An empty variable counts as unset, so compose files can pass ${VAR:-} through.
            if (value != null && !value.isEmpty()) {
                ConfigSource source = ConfigSource.env(key.envName());
                key.readInto(builder, RawValue.text(value, source, workingDir));
                sources.put(key.name(), source);
            }
        }

        for (Map.Entry<ConfigKey<?>, String> flag : commandLine.flags().entrySet()) {
            ConfigKey<?> key = flag.getKey();
            ConfigSource source = ConfigSource.flag(key.flag());
            key.readInto(builder, RawValue.text(flag.getValue(), source, workingDir));
            sources.put(key.name(), source);
        }
        return new EffectiveConfig(builder.build(), sources, file);
    }

    private static Path configFile(CommandLine commandLine, Map<String, String> env, Path workingDir) {
        if (commandLine.configFile() != null) {
            return existing(workingDir.resolve(commandLine.configFile()), "flag " + CommandLine.CONFIG_FLAG);
        }
        String fromEnv = env.get(CONFIG_ENV);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return existing(workingDir.resolve(fromEnv), "env " + CONFIG_ENV);
        }
        Path local = workingDir.resolve(DEFAULT_FILE_NAME);
        return Files.isRegularFile(local) ? local.toAbsolutePath().normalize() : null;
    }

    private static Path existing(Path file, String source) {
        Path absolute = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw LauncherException.config("config file " + absolute + " (from " + source + ") does not exist");
        }
        return absolute;
    }

    private static List<String> unknownVariables(Map<String, String> env) {
        List<String> unknown = new ArrayList<>();
        for (String variable : env.keySet()) {
            // probe's API key is no configuration key, but set in the environment of a start it is no mistake either.
            if (variable.startsWith(ENV_PREFIX) && !variable.equals(CONFIG_ENV) && !variable.equals(ProbeCommand.API_KEY_ENV)
                    && ConfigKeys.byEnvName(variable).isEmpty()) {
                unknown.add(variable);
            }
        }
        unknown.sort(null);
        return unknown;
    }

    private static String names() {
        return ConfigKeys.ALL.stream().map(ConfigKey::name).collect(Collectors.joining(", "));
    }
}
