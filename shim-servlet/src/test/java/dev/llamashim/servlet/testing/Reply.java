package dev.llamashim.servlet.testing;

import dev.llamashim.core.testing.Fixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a fake model server answers: status, headers and a body sent in parts, with an optional
 * wait before the first part and between parts (to prove incremental delivery).
 *
 * @param status the HTTP status
 * @param headers headers to send (framing headers are the server's business and left out)
 * @param parts the body, in the pieces to write and flush one by one
 * @param before wait before the status line is sent
 * @param between wait between two parts
 */
public record Reply(int status, List<Map.Entry<String, String>> headers, List<byte[]> parts, Duration before, Duration between) {

    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection", "keep-alive");

    /** Replays a captured llama-server response: its status, headers and exact body, in one part. */
    public static Reply of(Fixture fixture) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Fixture.Header header : fixture.headers()) {
            if (!FRAMING.contains(header.name().toLowerCase(Locale.ROOT))) {
                headers.add(Map.entry(header.name(), header.value()));
            }
        }
        return new Reply(fixture.status(), headers, List.of(fixture.body()), Duration.ZERO, Duration.ZERO);
    }

    /** A JSON reply with the given status. */
    public static Reply json(int status, String json) {
        return new Reply(status, List.of(Map.entry("Content-Type", "application/json; charset=utf-8")),
                List.of(json.getBytes(StandardCharsets.UTF_8)), Duration.ZERO, Duration.ZERO);
    }

    /** A reply with any content type. */
    public static Reply of(int status, String contentType, byte[] body) {
        return new Reply(status, List.of(Map.entry("Content-Type", contentType)), List.of(body), Duration.ZERO, Duration.ZERO);
    }

    /** The same reply, sent after {@code delay}. */
    public Reply after(Duration delay) {
        return new Reply(status, headers, parts, delay, between);
    }

    /** The same reply with an SSE body sent one event at a time, {@code gap} apart. */
    public Reply eventByEvent(Duration gap) {
        String body = new String(concatenated(), StandardCharsets.UTF_8);
        List<byte[]> events = new ArrayList<>();
        for (String event : body.split("(?<=\n\n)")) {
            events.add(event.getBytes(StandardCharsets.UTF_8));
        }
        return new Reply(status, headers, events, before, gap);
    }

    /**
     * The same reply with its body in two halves, {@code gap} apart. The second write fails if the
     * peer has closed the connection (the first may still be taken by the OS), so a
     * {@link FakeLlamaServer} can tell an aborted exchange from a completed one.
     */
    public Reply inTwoHalves(Duration gap) {
        byte[] all = concatenated();
        int half = all.length / 2;
        return new Reply(status, headers, List.of(java.util.Arrays.copyOfRange(all, 0, half),
                java.util.Arrays.copyOfRange(all, half, all.length)), before, gap);
    }

    /** The body's bytes, all parts together. */
    public byte[] concatenated() {
        int size = parts.stream().mapToInt(p -> p.length).sum();
        byte[] all = new byte[size];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** The value of the {@code Content-Type} header, or {@code null}. */
    public String contentType() {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase("Content-Type")).map(Map.Entry::getValue).findFirst().orElse(null);
    }
}
