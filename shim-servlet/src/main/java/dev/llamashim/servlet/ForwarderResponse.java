package dev.llamashim.servlet;

import dev.llamashim.core.RepairOptions;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.concurrent.Executor;

/**
 * The response the forwarding servlet writes for a shimmed request. Nothing reaches the client
 * as such: status and headers are held ({@link ForwarderHead}), the body too ({@link HeldBody},
 * up to {@code max-response-bytes}) until the exchange decides what the client gets; or, when
 * the model server was asked to stream, the body goes through a {@link RepairPipe}. It reports
 * itself committed only once a repaired stream has started, so a proxy can still turn a failure
 * into an error status.
 */
final class ForwarderResponse extends HttpServletResponseWrapper {

    private final ForwarderHead head = new ForwarderHead();
    private final HeldBody held;
    private final ShimLock lock = new ShimLock();
    private ServletOutputStream body;
    private RepairPipe pipe;
    private PrintWriter writer;

    /** @param callbacks runs the forwarder's {@code WriteListener} calls on a container thread */
    ForwarderResponse(HttpServletResponse response, int maxBytes, Executor callbacks) {
        super(response);
        this.held = new HeldBody(maxBytes, callbacks);
        this.body = held;
    }

    /**
     * Makes the body a pipe that repairs a {@code 200 text/event-stream} answer on its way to
     * {@code client} (and holds any other answer as before).
     */
    RepairPipe repairInto(ClientStream client, RepairOptions options, Executor callbacks) {
        RepairPipe repairing = new RepairPipe(head, held, client, options, callbacks);
        lock.run(() -> {
            pipe = repairing;
            body = repairing;
        });
        return repairing;
    }

    /** The answer as it stands; called once the forwarder is done. */
    ForwarderAnswer answer() {
        flushWriter();
        return new ForwarderAnswer(head.status(), head.headers(), head.contentType(), head.charset(),
                held.bytes(), held.size(), held.overflowed());
    }

    /** Whether the forwarder wrote past {@code max-response-bytes}. */
    boolean overflowed() {
        return held.overflowed();
    }

    private boolean streamed() {
        RepairPipe repairing = lock.get(() -> pipe);
        return repairing != null && repairing.streamed();
    }

    private void flushWriter() {
        PrintWriter pending = lock.get(() -> writer);
        if (pending != null) {
            pending.flush();
        }
    }

    @Override
    public ServletOutputStream getOutputStream() {
        return lock.get(() -> {
            if (writer != null) {
                throw new IllegalStateException("getWriter() was already called");
            }
            return body;
        });
    }

    @Override
    public PrintWriter getWriter() {
        return lock.get(() -> {
            if (writer == null) {
                writer = new PrintWriter(new OutputStreamWriter(body, writerCharset()), false);
            }
            return writer;
        });
    }

    /** The servlet default is ISO-8859-1, but JSON is UTF-8 by definition (RFC 8259). */
    private Charset writerCharset() {
        String charset = head.charset();
        if (charset != null) {
            return Charset.forName(charset);
        }
        MediaType type = MediaType.parse(head.contentType());
        Charset chosen = type != null && type.isJson() ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        head.charset(chosen.name());
        return chosen;
    }

    private boolean writerTaken() {
        return lock.get(() -> writer != null);
    }

    @Override
    public void setStatus(int sc) {
        head.status(sc);
    }

    @Override
    public int getStatus() {
        return head.status();
    }

    @Override
    public void sendError(int sc) {
        sendError(sc, null);
    }

    @Override
    public void sendError(int sc, String msg) {
        RepairPipe repairing = lock.get(() -> pipe);
        if (repairing != null && repairing.streamed()) {
            // The stream has started: the client learns of the failure in it.
            repairing.brokeOff();
            return;
        }
        resetBuffer();
        head.status(sc);
        if (msg != null) {
            head.contentType("text/plain", true);
            head.charset(StandardCharsets.UTF_8.name());
            byte[] bytes = msg.getBytes(StandardCharsets.UTF_8);
            try {
                held.write(bytes, 0, bytes.length);
            } catch (IOException e) {
                // Only past max-response-bytes, which the held body records as overflowed.
            }
        }
    }

    @Override
    public void sendRedirect(String location) {
        resetBuffer();
        head.status(SC_FOUND);
        head.set("Location", location);
    }

    @Override
    public void setContentType(String type) {
        head.contentType(type, writerTaken());
    }

    @Override
    public String getContentType() {
        return head.contentType();
    }

    @Override
    public void setCharacterEncoding(String encoding) {
        if (!writerTaken()) {
            head.charset(encoding);
        }
    }

    @Override
    public String getCharacterEncoding() {
        String charset = head.charset();
        return charset != null ? charset : StandardCharsets.ISO_8859_1.name();
    }

    /** The client's answer gets its own length; the forwarder's only sizes the held body. */
    @Override
    public void setContentLength(int len) {
        held.expect(len);
    }

    @Override
    public void setContentLengthLong(long len) {
        held.expect(len);
    }

    @Override
    public void setHeader(String name, String value) {
        if (isContentType(name)) {
            setContentType(value);
            return;
        }
        expectLength(name, value);
        head.set(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        if (isContentType(name)) {
            setContentType(value);
        } else if (value != null) {
            expectLength(name, value);
            head.add(name, value);
        }
    }

    @Override
    public void setIntHeader(String name, int value) {
        setHeader(name, Integer.toString(value));
    }

    @Override
    public void addIntHeader(String name, int value) {
        addHeader(name, Integer.toString(value));
    }

    @Override
    public void setDateHeader(String name, long date) {
        setHeader(name, HttpDates.format(date));
    }

    @Override
    public void addDateHeader(String name, long date) {
        addHeader(name, HttpDates.format(date));
    }

    @Override
    public boolean containsHeader(String name) {
        return isContentType(name) ? head.contentType() != null : head.first(name) != null;
    }

    @Override
    public String getHeader(String name) {
        return isContentType(name) ? head.contentType() : head.first(name);
    }

    @Override
    public Collection<String> getHeaders(String name) {
        return head.all(name);
    }

    @Override
    public Collection<String> getHeaderNames() {
        return head.names();
    }

    @Override
    public boolean isCommitted() {
        return streamed();
    }

    @Override
    public void flushBuffer() throws IOException {
        flushWriter();
        lock.get(() -> body).flush();
    }

    @Override
    public void setBufferSize(int size) {
        // Everything is held until the forwarder is done; there is no buffer to size.
    }

    @Override
    public void resetBuffer() {
        if (streamed()) {
            throw new IllegalStateException("the response is committed: its event stream has started");
        }
        flushWriter();
        held.reset();
    }

    @Override
    public void reset() {
        resetBuffer();
        head.clear();
    }

    /** A proxy copies the upstream's {@code Content-Length} as a header: it sizes the held body too. */
    private void expectLength(String name, String value) {
        if (value != null && "Content-Length".equalsIgnoreCase(name)) {
            try {
                held.expect(Long.parseLong(value.trim()));
            } catch (NumberFormatException e) {
                // Not a length: the buffer grows as the body comes.
            }
        }
    }

    private static boolean isContentType(String name) {
        return "Content-Type".equalsIgnoreCase(name);
    }
}
