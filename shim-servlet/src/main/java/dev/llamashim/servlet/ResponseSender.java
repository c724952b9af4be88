package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes a {@link ShimAnswer} to the client with non-blocking output, then completes the request's
 * async context. No thread waits for a slow client: the container calls back when it can write.
 */
final class ResponseSender implements WriteListener {

    private static final System.Logger LOG = System.getLogger(ResponseSender.class.getName());

    private final AsyncContext async;
    private final HttpServletResponse response;
    private final ShimAnswer answer;
    private final AtomicBoolean completed = new AtomicBoolean();
    private ServletOutputStream output;
    private boolean written;

    private ResponseSender(AsyncContext async, HttpServletResponse response, ShimAnswer answer) {
        this.async = async;
        this.response = response;
        this.answer = answer;
    }

    /** Sets status and headers, and starts writing the body when the container is ready. */
    static void send(AsyncContext async, HttpServletResponse response, ShimAnswer answer) {
        new ResponseSender(async, response, answer).start();
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

    private void start() {
        try {
            writeHead(response, answer);
            output = response.getOutputStream();
            output.setWriteListener(this);
        } catch (IOException | RuntimeException e) {
            onError(e);
        }
    }

    @Override
    public void onWritePossible() throws IOException {
        if (!written) {
            written = true;
            output.write(answer.body(), 0, answer.length());
        }
        if (output.isReady()) {
            complete();
        }
    }

    @Override
    public void onError(Throwable failure) {
        // Almost always the client going away mid-write; nothing more can reach it.
        LOG.log(System.Logger.Level.DEBUG, "writing the answer failed", failure);
        complete();
    }

    private void complete() {
        if (completed.compareAndSet(false, true)) {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // The container already ended the request (client gone, timeout): nothing to do.
                LOG.log(System.Logger.Level.DEBUG, "request already completed", e);
            }
        }
    }
}
