package dev.llamashim.jetty.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One captured llama-server answer from {@code src/test/resources/fixtures/llama-server/<build>/<scenario>/}:
 * status, headers and body bytes, replayed as they were captured.
 *
 * @param status the captured status code
 * @param headers the captured headers, in order, as {@code {name, value}} pairs
 * @param body the captured body bytes
 */
public record Fixture(int status, List<String[]> headers, byte[] body) {

    /** Framing headers the fake server's own HTTP stack decides; the rest is replayed. */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection", "keep-alive");

    /** Loads {@code build}/{@code scenario} ({@code new}/{@code models}, say) from the test class path. */
    public static Fixture load(String build, String scenario) {
        String base = "/fixtures/llama-server/" + build + "/" + scenario + "/";
        String head = new String(bytes(base + "response.headers"), StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.add(new String[] {lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()});
            }
        }
        return new Fixture(status, List.copyOf(headers), bytes(base + "response.body"));
    }

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The value of header {@code name}, or {@code null}. */
    public String header(String name) {
        return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
    }

    /** Writes this answer as the fake server's response. */
    public void writeTo(Response response, Callback callback) {
        response.setStatus(status);
        for (String[] header : headers) {
            if (!FRAMING.contains(header[0].toLowerCase(Locale.ROOT))) {
                response.getHeaders().add(header[0], header[1]);
            }
        }
        if (header("Content-Length") != null) {
            response.getHeaders().put("Content-Length", Integer.toString(body.length));
        }
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private static byte[] bytes(String resource) {
        try (InputStream in = Fixture.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture resource " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
