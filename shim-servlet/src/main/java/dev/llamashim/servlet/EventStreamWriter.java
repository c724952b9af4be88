package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The client's event stream once it has started before the answer is known (heartbeats): whole
 * events written in order with non-blocking output, each flushed so it leaves at once. Any thread
 * may send; the container's callbacks and the senders take turns on this object's lock.
 */
final class EventStreamWriter implements WriteListener {

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final Consumer<Throwable> onFailure;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private boolean needsFlush;
    private boolean closing;
    private boolean completed;
    private boolean failed;

    private EventStreamWriter(AsyncContext async, ServletOutputStream out, Consumer<Throwable> onFailure) {
        this.async = async;
        this.out = out;
        this.onFailure = onFailure;
    }

    /** Commits a {@code 200 text/event-stream} response and starts writing when the container is ready. */
    static EventStreamWriter start(AsyncContext async, HttpServletResponse response, Consumer<Throwable> onFailure)
            throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        for (Map.Entry<String, String> header : ShimAnswer.STREAM_HEADERS) {
            response.setHeader(header.getKey(), header.getValue());
        }
        response.setContentType(ShimAnswer.EVENT_STREAM);
        EventStreamWriter writer = new EventStreamWriter(async, response.getOutputStream(), onFailure);
        writer.out.setWriteListener(writer);
        return writer;
    }

    /** Queues one event (or comment) and writes what the connection takes now. */
    synchronized void send(byte[] event) {
        if (failed || closing) {
            return;
        }
        queue.add(event);
        pump();
    }

    /** Queues the last bytes, then completes the request once all is written. */
    synchronized void close(byte[] last) {
        if (failed || closing) {
            return;
        }
        queue.add(last);
        closing = true;
        pump();
    }

    @Override
    public synchronized void onWritePossible() {
        pump();
    }

    /** Writes and flushes queued events while the connection is ready; the container calls back otherwise. */
    private void pump() {
        try {
            while (!failed && out.isReady()) {
                if (needsFlush) {
                    needsFlush = false;
                    out.flush();
                    continue;
                }
                byte[] next = queue.poll();
                if (next == null) {
                    if (closing && !completed) {
                        completed = true;
                        async.complete();
                    }
                    return;
                }
                out.write(next);
                needsFlush = true;
            }
        } catch (IOException e) {
            onError(e);
        }
    }

    @Override
    public void onError(Throwable failure) {
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            queue.clear();
        }
        onFailure.accept(failure);
    }
}
