package dev.llamashim.jetty;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The launcher's arguments, parsed: what to do, which config file, and the flags that override
 * settings ({@code --proxy-port 9000} or {@code --proxy-port=9000}, one flag per key).
 *
 * @param action what the user asked for
 * @param configFile the {@code --config} path as given, {@code null} when absent
 * @param flags the settings given as flags, by key
 */
public record CommandLine(Action action, String configFile, Map<ConfigKey<?>, String> flags) {

    /** What the launcher is asked to do. */
    public enum Action {
        /** Start and serve until stopped. */
        RUN,
        /** {@code --help}: print usage and exit 0. */
        HELP,
        /** {@code --version}: print the version and exit 0. */
        VERSION,
        /** {@code --check-config}: print the effective configuration with each key's source and exit 0. */
        CHECK_CONFIG
    }

    /** The flag naming the config file. */
    public static final String CONFIG_FLAG = "--config";

    /** Copies the flags. */
    public CommandLine {
        flags = Map.copyOf(flags);
    }

    /**
     * Parses {@code args}. {@code --help} and {@code --version} win over everything else, so they
     * work even next to a mistyped flag.
     *
     * @throws LauncherException (exit code 2) for an unknown argument or a flag without its value
     */
    public static CommandLine parse(List<String> args) {
        if (args.contains("--help") || args.contains("-h")) {
            return new CommandLine(Action.HELP, null, Map.of());
        }
        if (args.contains("--version") || args.contains("-V")) {
            return new CommandLine(Action.VERSION, null, Map.of());
        }
        Action action = Action.RUN;
        String configFile = null;
        Map<ConfigKey<?>, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--check-config")) {
                action = Action.CHECK_CONFIG;
                continue;
            }
            int equals = arg.indexOf('=');
            String name = equals > 0 ? arg.substring(0, equals) : arg;
            if (!name.startsWith("--")) {
                throw LauncherException.config("unexpected argument \"" + arg + "\" (see --help)");
            }
            String value;
            if (equals > 0) {
                value = arg.substring(equals + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw LauncherException.config("flag " + name + " needs a value (see --help)");
            }
            if (name.equals(CONFIG_FLAG)) {
                configFile = value;
                continue;
            }
            ConfigKey<?> key = ConfigKeys.byFlag(name).orElseThrow(() -> LauncherException.config("unknown flag " + name
                    + KeySuggestion.closestTo(name.substring(2).replace('-', '_'))
                            .map(k -> " (did you mean " + k.flag() + "?)").orElse("")
                    + "; see --help"));
            flags.put(key, value);
        }
        return new CommandLine(action, configFile, flags);
    }
}
