package dev.llamashim.jetty;

import java.util.Locale;

/** Which requests {@code capture_dir} keeps for bug reports ({@code capture_when}). */
public enum CaptureWhen {
    /** Requests answered with an error status, with an error of llamashim's own, or whose client went away. */
    ERRORS,
    /** As {@link #ERRORS}, and every answer in which llamashim mended a defect or extracted a tool call. */
    REPAIRED,
    /** Every request. */
    ALL;

    /** Reads {@code errors}, {@code repaired} or {@code all}, in any case; anything else is {@code null}. */
    static CaptureWhen parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "errors" -> ERRORS;
            case "repaired" -> REPAIRED;
            case "all" -> ALL;
            default -> null;
        };
    }

    /** The setting's spelling in {@code config.yaml}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
