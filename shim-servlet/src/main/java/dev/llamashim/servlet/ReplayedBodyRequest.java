package dev.llamashim.servlet;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UnsupportedEncodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * A request whose body the filter has already read, handed on with that body (unchanged, or
 * rewritten) and with {@code Content-Length} telling its true length.
 */
class ReplayedBodyRequest extends HttpServletRequestWrapper implements BufferedBodyRequest {

    private final byte[] body;
    private BodyInputStream input;
    private BufferedReader reader;

    ReplayedBodyRequest(HttpServletRequest request, byte[] body) {
        super(request);
        this.body = body;
    }

    @Override
    public byte[] bufferedBody() {
        return body;
    }

    @Override
    public ServletInputStream getInputStream() {
        if (reader != null) {
            throw new IllegalStateException("getReader() was already called");
        }
        if (input == null) {
            input = new BodyInputStream(body, this::callBack);
        }
        return input;
    }

    @Override
    public BufferedReader getReader() throws UnsupportedEncodingException {
        if (input != null) {
            throw new IllegalStateException("getInputStream() was already called");
        }
        if (reader == null) {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            reader = new BufferedReader(new InputStreamReader(new BodyInputStream(body, this::callBack), charset));
        }
        return reader;
    }

    /**
     * Runs a {@code ReadListener} call on a container thread of the request's async cycle, as a
     * container would, rather than inside the forwarder's own call.
     */
    private void callBack(Runnable call) {
        if (!isAsyncStarted()) {
            throw new IllegalStateException("setReadListener needs an async request (call startAsync first)");
        }
        getAsyncContext().start(call);
    }

    @Override
    public int getContentLength() {
        return body.length;
    }

    @Override
    public long getContentLengthLong() {
        return body.length;
    }

    @Override
    public String getHeader(String name) {
        if (isContentLength(name)) {
            return Integer.toString(body.length);
        }
        return isTransferEncoding(name) ? null : super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        if (isContentLength(name)) {
            return Collections.enumeration(List.of(Integer.toString(body.length)));
        }
        return isTransferEncoding(name) ? Collections.emptyEnumeration() : super.getHeaders(name);
    }

    @Override
    public int getIntHeader(String name) {
        return isContentLength(name) ? body.length : super.getIntHeader(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
        List<String> names = Collections.list(super.getHeaderNames());
        // The body is now a known length: chunked framing no longer applies.
        names.removeIf(ReplayedBodyRequest::isTransferEncoding);
        if (names.stream().noneMatch(ReplayedBodyRequest::isContentLength)) {
            names.add("Content-Length");
        }
        return Collections.enumeration(names);
    }

    private static boolean isContentLength(String name) {
        return "Content-Length".equalsIgnoreCase(name);
    }

    private static boolean isTransferEncoding(String name) {
        return "Transfer-Encoding".equalsIgnoreCase(name);
    }
}
