package dev.llamashim.jetty;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a setting's value came from, in the order they override each other: the built-in default,
 * a line of the config file, an environment variable, a command-line flag.
 *
 * @param kind which of the four
 * @param location the file and line, the variable's name or the flag; empty for a default
 */
public record ConfigSource(Kind kind, String location) {

    /** The four places a value can come from, weakest first. */
    public enum Kind {
        /** Built in. */
        DEFAULT,
        /** A line of {@code config.yaml}. */
        FILE,
        /** A {@code LLAMASHIM_<KEY>} environment variable. */
        ENV,
        /** A command-line flag. */
        FLAG
    }

    private static final ConfigSource DEFAULT = new ConfigSource(Kind.DEFAULT, "");

    /** Checks both parts are present. */
    public ConfigSource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(location, "location");
    }

    /** The built-in default. */
    public static ConfigSource builtIn() {
        return DEFAULT;
    }

    /** Line {@code line} (1-based) of {@code file}. */
    public static ConfigSource file(Path file, int line) {
        return new ConfigSource(Kind.FILE, file + " line " + line);
    }

    /** The environment variable {@code name}. */
    public static ConfigSource env(String name) {
        return new ConfigSource(Kind.ENV, name);
    }

    /** The command-line flag {@code flag}, e.g. {@code --proxy-port}. */
    public static ConfigSource flag(String flag) {
        return new ConfigSource(Kind.FLAG, flag);
    }

    /** {@code default}, {@code file /etc/llamashim/config.yaml line 3}, {@code env LLAMASHIM_PROXY_PORT} or {@code flag --proxy-port}. */
    @Override
    public String toString() {
        return switch (kind) {
            case DEFAULT -> "default";
            case FILE -> "file " + location;
            case ENV -> "env " + location;
            case FLAG -> "flag " + location;
        };
    }
}
