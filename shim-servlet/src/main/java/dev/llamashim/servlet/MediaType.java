package dev.llamashim.servlet;

import java.util.Locale;

/**
 * A {@code Content-Type} value taken apart, the one place the servlet parses one (RFC 9110 §8.3).
 *
 * @param essence type and subtype in lower case, without parameters ({@code text/event-stream})
 * @param charset the {@code charset} parameter without quotes, or {@code null} when there is none
 */
record MediaType(String essence, String charset) {

    /** {@code value} taken apart; {@code null} for {@code null}. */
    static MediaType parse(String value) {
        if (value == null) {
            return null;
        }
        String[] parts = value.split(";");
        String charset = null;
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].trim();
            int equals = parameter.indexOf('=');
            if (equals > 0 && parameter.substring(0, equals).trim().equalsIgnoreCase("charset")) {
                charset = parameter.substring(equals + 1).trim().replace("\"", "");
            }
        }
        return new MediaType(parts[0].trim().toLowerCase(Locale.ROOT), charset);
    }

    /** Whether this is {@code application/json} or a {@code …+json} type. */
    boolean isJson() {
        return essence.equals("application/json") || essence.endsWith("+json");
    }

    /** Whether this is {@code text/event-stream}. */
    boolean isEventStream() {
        return essence.equals("text/event-stream");
    }

    /** Whether this is {@code text/plain}. */
    boolean isPlainText() {
        return essence.equals("text/plain");
    }
}
