package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Puts a {@link ShimAnswer}, or the start of an event stream, on the wire. */
final class ResponseSender {

    private static final System.Logger LOG = System.getLogger(ResponseSender.class.getName());
    private static final Consumer<Throwable> NOBODY_TO_TELL = failure -> { };

    private ResponseSender() {}

    /** Sets status and headers, writes the body with non-blocking output, then completes {@code async}. */
    static void send(AsyncContext async, HttpServletResponse response, ShimAnswer answer) {
        try {
            writeHead(response, answer);
            NonBlockingWriter.open(async, response, NOBODY_TO_TELL).close(answer.body(), 0, answer.length());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not start writing the answer", e);
            NonBlockingWriter.completeQuietly(async);
        }
    }

    /**
     * Sends {@code answer} on a request that is not async yet (the downstream answered on the
     * calling thread). Where the chain is not async-supported, writes blocking instead.
     */
    static void send(HttpServletRequest request, HttpServletResponse response, ShimAnswer answer) throws IOException {
        if (request.isAsyncSupported()) {
            send(request.startAsync(request, response), response, answer);
            return;
        }
        LOG.log(System.Logger.Level.DEBUG, "filter chain is not async-supported; writing the answer blocking");
        writeHead(response, answer);
        ServletOutputStream out = response.getOutputStream();
        out.write(answer.body(), 0, answer.length());
        out.flush();
    }

    /**
     * Commits a {@code 200 text/event-stream} response with {@code headers} (at least
     * {@link ShimAnswer#STREAM_HEADERS}) whose events come later (heartbeats, or a repaired stream).
     */
    static NonBlockingWriter startStream(AsyncContext async, HttpServletResponse response,
            List<Map.Entry<String, String>> headers, Consumer<Throwable> onFailure) throws IOException {
        writeStreamHead(response, headers);
        return NonBlockingWriter.open(async, response, onFailure);
    }

    /** Sets status {@code 200}, {@code headers} and the event-stream content type. */
    static void writeStreamHead(HttpServletResponse response, List<Map.Entry<String, String>> headers) {
        response.setStatus(HttpServletResponse.SC_OK);
        for (Map.Entry<String, String> header : headers) {
            response.addHeader(header.getKey(), header.getValue());
        }
        response.setContentType(ShimAnswer.EVENT_STREAM);
    }

    private static void writeHead(HttpServletResponse response, ShimAnswer answer) {
        response.setStatus(answer.status());
        for (Map.Entry<String, String> header : answer.headers()) {
            response.addHeader(header.getKey(), header.getValue());
        }
        if (answer.contentType() != null) {
            response.setContentType(answer.contentType());
        }
        if (!answer.stream()) {
            response.setContentLength(answer.length());
        }
    }
}
