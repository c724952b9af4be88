package dev.llamashim.servlet;

import java.util.Locale;

/** Which {@code stream:true} chat requests the filter answers with a synthesized stream. */
public enum SimulateWhen {
    /** Only requests that declare {@code tools} or {@code functions} (the default). */
    TOOLS,
    /** Every {@code stream:true} chat request. */
    ALWAYS;

    /**
     * Reads {@code tools} or {@code always}, in any case.
     *
     * @throws ShimConfigException for any other value, naming the ones accepted
     */
    public static SimulateWhen parse(String value) {
        String normalized = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "tools" -> TOOLS;
            case "always" -> ALWAYS;
            default -> throw new ShimConfigException("simulate-when must be \"tools\" or \"always\", got \"" + value + "\"");
        };
    }

    /** The setting's spelling in config files and init-params. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
