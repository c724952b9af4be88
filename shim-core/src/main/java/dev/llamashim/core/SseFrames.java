package dev.llamashim.core;

import java.nio.charset.StandardCharsets;

/**
 * The framing of the {@code text/event-stream} llamashim writes, spelled out here and nowhere
 * else: data events, the closing {@code data: [DONE]} and the {@code : keep-alive} heartbeat.
 * Every method returns a new array, which the caller may keep or change.
 */
public final class SseFrames {

    /** What starts each line of a data event. */
    public static final String DATA_PREFIX = "data: ";

    /** What ends an event: the end of its last line, then the blank line. */
    public static final String EVENT_END = "\n\n";

    /** The data of the closing event. */
    static final String DONE_DATA = "[DONE]";

    /** The closing event, {@code data: [DONE]} and its blank line. */
    public static final String DONE = DATA_PREFIX + DONE_DATA + EVENT_END;

    /** The comment text of a heartbeat. */
    static final String HEARTBEAT_TEXT = "keep-alive";

    /** A heartbeat: the comment {@code : keep-alive} and its blank line, which SSE readers skip. */
    public static final String HEARTBEAT = ": " + HEARTBEAT_TEXT + EVENT_END;

    private static final byte[] DONE_BYTES = DONE.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEARTBEAT_BYTES = HEARTBEAT.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_PREFIX_BYTES = DATA_PREFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END_BYTES = EVENT_END.getBytes(StandardCharsets.US_ASCII);

    private SseFrames() {}

    /** {@link #DONE} as bytes. */
    public static byte[] done() {
        return DONE_BYTES.clone();
    }

    /** {@link #HEARTBEAT} as bytes. */
    public static byte[] heartbeat() {
        return HEARTBEAT_BYTES.clone();
    }

    /**
     * A data event carrying {@code json} (a chunk, or an {@code {"error":…}} object), as UTF-8.
     * Text with line breaks becomes one {@code data:} line per line, which readers join back.
     */
    public static byte[] data(String json) {
        if (hasLineBreak(json)) {
            return dataEvent(json).getBytes(StandardCharsets.UTF_8);
        }
        return frame(json.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #data(String)} for UTF-8 bytes. */
    public static byte[] data(byte[] json) {
        for (byte b : json) {
            if (b == '\n' || b == '\r') {
                return dataEvent(new String(json, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            }
        }
        return frame(json);
    }

    /** {@code json}, which has no line break, as one data event. */
    private static byte[] frame(byte[] json) {
        byte[] event = new byte[DATA_PREFIX_BYTES.length + json.length + EVENT_END_BYTES.length];
        System.arraycopy(DATA_PREFIX_BYTES, 0, event, 0, DATA_PREFIX_BYTES.length);
        System.arraycopy(json, 0, event, DATA_PREFIX_BYTES.length, json.length);
        System.arraycopy(EVENT_END_BYTES, 0, event, DATA_PREFIX_BYTES.length + json.length, EVENT_END_BYTES.length);
        return event;
    }

    /** A data event's text: each line of {@code data} after {@link #DATA_PREFIX}, then the blank line. */
    static String dataEvent(String data) {
        return prefixLines(DATA_PREFIX, data);
    }

    /** A comment event's text: each line of {@code text} after a colon (and a space unless empty). */
    static String commentEvent(String text) {
        return prefixLines(text.isEmpty() ? ":" : ": ", text);
    }

    private static boolean hasLineBreak(String text) {
        return nextBreak(text, 0) < text.length();
    }

    private static String prefixLines(String prefix, String text) {
        StringBuilder out = new StringBuilder(text.length() + prefix.length() + 2);
        int start = 0;
        while (true) {
            int end = nextBreak(text, start);
            if (end == text.length()) {
                return out.append(prefix).append(text, start, end).append(EVENT_END).toString();
            }
            out.append(prefix).append(text, start, end).append('\n');
            // \r\n counts as one line break, as the SSE reader will count it.
            start = text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n'
                    ? end + 2
                    : end + 1;
        }
    }

    private static int nextBreak(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                return i;
            }
        }
        return text.length();
    }
}
