package dev.llamashim.jetty;

import java.util.Locale;

/** The {@code log_level} setting, with the prototype's Python spellings accepted ({@code WARNING}, {@code CRITICAL}). */
public enum LogLevel {
    /** Everything, including why each request was or was not shimmed. */
    DEBUG,
    /** One line per request, start and stop (the default). */
    INFO,
    /** Only problems: upstream failures, insecure TLS. */
    WARN,
    /** Only failures. */
    ERROR;

    /**
     * Reads {@code DEBUG}, {@code INFO}, {@code WARNING} (or {@code WARN}), {@code ERROR} (or
     * Python's {@code CRITICAL}), in any case.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static LogLevel parse(String text) {
        return switch (text.trim().toUpperCase(Locale.ROOT)) {
            case "DEBUG" -> DEBUG;
            case "INFO" -> INFO;
            case "WARNING", "WARN" -> WARN;
            case "ERROR", "CRITICAL" -> ERROR;
            default -> throw new IllegalArgumentException("got \"" + text + "\"");
        };
    }

    /** The name as the prototype's config spells it ({@code WARNING} for {@link #WARN}). */
    public String configName() {
        return this == WARN ? "WARNING" : name();
    }
}
