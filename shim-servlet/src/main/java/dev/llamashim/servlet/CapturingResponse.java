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
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The response the downstream writes for a shimmed request. Nothing reaches the client: status,
 * headers and body are held (the body up to {@code max-response-bytes}) until the exchange
 * decides what the client gets. It reports itself committed only once a repaired stream has
 * started ({@link #repairWith}), so a proxy can still turn a failure into an error status.
 */
final class CapturingResponse extends HttpServletResponseWrapper {

    private final CaptureOutputStream output;
    private ServletOutputStream body;
    private RepairingOutputStream repairing;
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();
    private int status = SC_OK;
    private String contentType;
    private String charset;
    private PrintWriter writer;

    /** @param callbacks runs the downstream's {@code WriteListener} calls on a container thread */
    CapturingResponse(HttpServletResponse response, int maxBytes, Executor callbacks) {
        super(response);
        this.output = new CaptureOutputStream(maxBytes, callbacks);
        this.body = output;
    }

    /**
     * Makes the body a stream that repairs a {@code 200 text/event-stream} answer on its way to
     * the client (and holds any other answer as before).
     */
    synchronized RepairingOutputStream repairWith(ShimExchange exchange, RepairOptions options) {
        repairing = new RepairingOutputStream(this, output, exchange, options);
        body = repairing;
        return repairing;
    }

    /** Whether the answer so far is a {@code 200} event stream with no content coding: one a repairer can read. */
    synchronized boolean isRepairableStream() {
        if (status != SC_OK || contentType == null
                || !contentType.split(";", 2)[0].trim().equalsIgnoreCase("text/event-stream")) {
            return false;
        }
        String coding = getHeader("Content-Encoding");
        return coding == null || coding.trim().equalsIgnoreCase("identity");
    }

    /** The headers set so far (content type excluded), in order. */
    synchronized List<Map.Entry<String, String>> headers() {
        return List.copyOf(headers);
    }

    private boolean streamed() {
        return repairing != null && repairing.streamed();
    }

    /** The answer as it stands; called once the downstream is done. */
    synchronized CapturedResponse captured() {
        if (writer != null) {
            writer.flush();
        }
        return new CapturedResponse(status, List.copyOf(headers), contentType, charset,
                output.bytes(), output.size(), output.overflowed());
    }

    /** Whether the downstream wrote past {@code max-response-bytes}. */
    boolean overflowed() {
        return output.overflowed();
    }

    @Override
    public synchronized ServletOutputStream getOutputStream() {
        if (writer != null) {
            throw new IllegalStateException("getWriter() was already called");
        }
        return body;
    }

    @Override
    public synchronized PrintWriter getWriter() {
        if (writer == null) {
            writer = new PrintWriter(new OutputStreamWriter(body, writerCharset()), false);
        }
        return writer;
    }

    /** The servlet default is ISO-8859-1, but JSON is UTF-8 by definition (RFC 8259). */
    private Charset writerCharset() {
        if (charset != null) {
            return Charset.forName(charset);
        }
        if (contentType != null && CapturedResponse.isJson(contentType)) {
            charset = StandardCharsets.UTF_8.name();
            return StandardCharsets.UTF_8;
        }
        charset = StandardCharsets.ISO_8859_1.name();
        return StandardCharsets.ISO_8859_1;
    }

    @Override
    public synchronized void setStatus(int sc) {
        status = sc;
    }

    @Override
    public synchronized int getStatus() {
        return status;
    }

    @Override
    public void sendError(int sc) {
        sendError(sc, null);
    }

    @Override
    public void sendError(int sc, String msg) {
        RepairingOutputStream stream;
        synchronized (this) {
            stream = streamed() ? repairing : null;
        }
        if (stream != null) {
            // The stream has started: the client learns of the failure in it.
            stream.brokeOff();
            return;
        }
        holdError(sc, msg);
    }

    private synchronized void holdError(int sc, String msg) {
        resetBuffer();
        status = sc;
        if (msg != null) {
            contentType = "text/plain";
            charset = StandardCharsets.UTF_8.name();
            byte[] bytes = msg.getBytes(StandardCharsets.UTF_8);
            try {
                output.write(bytes, 0, bytes.length);
            } catch (IOException e) {
                // Only past max-response-bytes, which the capture records as overflowed.
            }
        }
    }

    @Override
    public synchronized void sendRedirect(String location) {
        resetBuffer();
        status = SC_FOUND;
        setHeader("Location", location);
    }

    @Override
    public synchronized void setContentType(String type) {
        if (type == null) {
            contentType = null;
            return;
        }
        contentType = type;
        int at = type.toLowerCase(Locale.ROOT).indexOf("charset=");
        if (at >= 0 && writer == null) {
            String value = type.substring(at + "charset=".length()).split(";", 2)[0].trim();
            charset = value.replace("\"", "");
        }
    }

    @Override
    public synchronized String getContentType() {
        return contentType;
    }

    @Override
    public synchronized void setCharacterEncoding(String encoding) {
        if (writer == null) {
            charset = encoding;
        }
    }

    @Override
    public synchronized String getCharacterEncoding() {
        return charset != null ? charset : StandardCharsets.ISO_8859_1.name();
    }

    /** The client's answer gets its own length; the downstream's only sizes the capture buffer. */
    @Override
    public void setContentLength(int len) {
        output.expect(len);
    }

    @Override
    public void setContentLengthLong(long len) {
        output.expect(len);
    }

    @Override
    public synchronized void setHeader(String name, String value) {
        if (isContentType(name)) {
            setContentType(value);
            return;
        }
        expectLength(name, value);
        headers.removeIf(h -> h.getKey().equalsIgnoreCase(name));
        if (value != null) {
            headers.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
        }
    }

    @Override
    public synchronized void addHeader(String name, String value) {
        if (isContentType(name)) {
            setContentType(value);
        } else if (value != null) {
            expectLength(name, value);
            headers.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
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
    public synchronized boolean containsHeader(String name) {
        return isContentType(name) ? contentType != null : headers.stream().anyMatch(h -> h.getKey().equalsIgnoreCase(name));
    }

    @Override
    public synchronized String getHeader(String name) {
        if (isContentType(name)) {
            return contentType;
        }
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst().orElse(null);
    }

    @Override
    public synchronized Collection<String> getHeaders(String name) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }

    @Override
    public synchronized Collection<String> getHeaderNames() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        headers.forEach(h -> names.add(h.getKey()));
        return List.copyOf(names);
    }

    @Override
    public synchronized boolean isCommitted() {
        return streamed();
    }

    @Override
    public void flushBuffer() throws IOException {
        ServletOutputStream out;
        synchronized (this) {
            if (writer != null) {
                writer.flush();
            }
            out = body;
        }
        out.flush();
    }

    @Override
    public void setBufferSize(int size) {
        // Everything is held until the downstream is done; there is no buffer to size.
    }

    @Override
    public synchronized void resetBuffer() {
        if (streamed()) {
            throw new IllegalStateException("the response is committed: its event stream has started");
        }
        if (writer != null) {
            writer.flush();
        }
        output.reset();
    }

    @Override
    public synchronized void reset() {
        resetBuffer();
        headers.clear();
        status = SC_OK;
        contentType = null;
        charset = null;
    }

    /** A proxy copies the upstream's {@code Content-Length} as a header: it sizes the capture buffer too. */
    private void expectLength(String name, String value) {
        if (value != null && "Content-Length".equalsIgnoreCase(name)) {
            try {
                output.expect(Long.parseLong(value.trim()));
            } catch (NumberFormatException e) {
                // Not a length: the buffer grows as the body comes.
            }
        }
    }

    private static boolean isContentType(String name) {
        return "Content-Type".equalsIgnoreCase(name);
    }
}
