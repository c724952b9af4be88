package dev.llamashim.jetty;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A configuration as the loader assembled it, with where each key's value came from; what
 * {@code --check-config} prints.
 *
 * @param config the settings in force
 * @param sources each key's source, by key name
 * @param file the config file that was read, {@code null} when there was none
 */
public record EffectiveConfig(LauncherConfig config, Map<String, ConfigSource> sources, Path file) {

    /** Checks that every key has a source. */
    public EffectiveConfig {
        Objects.requireNonNull(config, "config");
        sources = Map.copyOf(sources);
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            if (!sources.containsKey(key.name())) {
                throw new IllegalArgumentException("no source for " + key);
            }
        }
    }

    /** Where {@code key}'s value came from. */
    public ConfigSource sourceOf(ConfigKey<?> key) {
        return sources.get(key.name());
    }

    /** The config file that was read, if any. */
    public Optional<Path> configFile() {
        return Optional.ofNullable(file);
    }
}
