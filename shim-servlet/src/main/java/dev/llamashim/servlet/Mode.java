package dev.llamashim.servlet;

import java.util.Locale;

/** How the filter turns a shimmed request into an OpenAI event stream. */
public enum Mode {
    /** Ask the model server for one JSON answer ({@code stream:false}) and stream it (the default). */
    SYNTHESIZE,
    /** Let the model server stream ({@code stream:true}) and mend its events on the way through. */
    REPAIR,
    /**
     * Repair the model server's own stream; when it refuses to stream (an error status and
     * message that say so, see {@code RefusalRule}), ask again with {@code stream:false} and
     * synthesize, and remember the refusal. Any other answer is passed on after one request.
     */
    AUTO;

    /**
     * Reads {@code synthesize}, {@code repair} or {@code auto}, in any case.
     *
     * @throws ShimConfigException for any other value, naming the ones accepted
     */
    public static Mode parse(String value) {
        String normalized = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "synthesize" -> SYNTHESIZE;
            case "repair" -> REPAIR;
            case "auto" -> AUTO;
            default -> throw new ShimConfigException(
                    "mode must be \"synthesize\", \"repair\" or \"auto\", got \"" + value + "\"");
        };
    }

    /** The setting's spelling in config files and init-params. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
