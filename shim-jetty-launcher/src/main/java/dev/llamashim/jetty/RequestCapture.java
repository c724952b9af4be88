package dev.llamashim.jetty;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one request's exchanges kept for {@code capture_dir}: each answer of the model
 * server (one per attempt: mode {@code auto} may ask twice) exactly as it arrived, and what the
 * client received. Each is kept up to a limit and marked cut past it. Never a header.
 */
final class RequestCapture {

    /** Request attribute holding the capture, from the launcher's outermost handler to the proxy. */
    static final String ATTRIBUTE = "dev.llamashim.jetty.capture";

    private final int limit;
    private final List<Upstream> upstream = new ArrayList<>();
    private final Part client;

    /** One answer of the model server: its status, content type and body. */
    record Upstream(int status, String contentType, Part body) {}

    /** Bytes kept up to a limit, and whether more came. */
    static final class Part {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int limit;
        private long seen;

        Part(int limit) {
            this.limit = limit;
        }

        void add(byte[] buffer, int offset, int length) {
            bytes.write(buffer, offset, Math.min(length, limit - bytes.size()));
            seen += length;
        }

        void add(ByteBuffer content) {
            ByteBuffer view = content.slice();
            byte[] kept = new byte[Math.min(view.remaining(), limit - bytes.size())];
            view.get(kept);
            bytes.writeBytes(kept);
            seen += content.remaining();
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }

        /** How many bytes came, kept or not. */
        long seen() {
            return seen;
        }

        boolean cut() {
            return seen > bytes.size();
        }
    }

    /** @param limit most bytes kept of each answer */
    RequestCapture(int limit) {
        this.limit = limit;
        this.client = new Part(limit);
    }

    /** The model server's next answer began with {@code status} and {@code contentType} (may be {@code null}). */
    synchronized void upstreamAnswered(int status, String contentType) {
        upstream.add(new Upstream(status, contentType, new Part(limit)));
    }

    /** Bytes of the model server's current answer, as they arrived. */
    synchronized void upstreamBytes(byte[] buffer, int offset, int length) {
        if (!upstream.isEmpty()) {
            upstream.get(upstream.size() - 1).body().add(buffer, offset, length);
        }
    }

    /** Bytes of the model server's current answer, as they arrived; {@code content} is left as it was. */
    synchronized void upstreamBytes(ByteBuffer content) {
        if (!upstream.isEmpty()) {
            upstream.get(upstream.size() - 1).body().add(content);
        }
    }

    /** Bytes on their way to the client; {@code content} is left as it was. */
    synchronized void clientBytes(ByteBuffer content) {
        client.add(content);
    }

    synchronized List<Upstream> upstream() {
        return List.copyOf(upstream);
    }

    synchronized Part client() {
        return client;
    }
}
