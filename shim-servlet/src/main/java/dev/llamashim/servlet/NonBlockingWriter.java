package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Writes byte runs to the client in order with non-blocking output, each flushed so it leaves at
 * once, and completes the request's async context after the last. No thread waits for a slow
 * client: the container calls back when it can take more. Any thread may send; the container's
 * callbacks and the senders take turns on this object's lock.
 */
final class NonBlockingWriter implements WriteListener {

    private static final System.Logger LOG = System.getLogger(NonBlockingWriter.class.getName());

    private AsyncContext async;
    private final ServletOutputStream out;
    private final Consumer<Throwable> onFailure;
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private boolean needsFlush;
    private boolean closing;
    private boolean completed;
    private boolean failed;

    private NonBlockingWriter(AsyncContext async, ServletOutputStream out, Consumer<Throwable> onFailure) {
        this.async = async;
        this.out = out;
        this.onFailure = onFailure;
    }

    /**
     * Takes over the response's body (status and headers already set); {@code onFailure} hears
     * once if a write fails, which almost always means the client went away.
     */
    static NonBlockingWriter open(AsyncContext async, HttpServletResponse response, Consumer<Throwable> onFailure)
            throws IOException {
        NonBlockingWriter writer = new NonBlockingWriter(async, response.getOutputStream(), onFailure);
        writer.out.setWriteListener(writer);
        return writer;
    }

    /** Completes {@code fresh} instead when done: the request's earlier async cycle ended in a dispatch. */
    synchronized void continueOn(AsyncContext fresh) {
        async = fresh;
    }

    /** Queues {@code bytes} and writes what the connection takes now. */
    synchronized void send(byte[] bytes) {
        if (failed || closing) {
            return;
        }
        queue.add(ByteBuffer.wrap(bytes));
        pump();
    }

    /** Queues the last {@code length} bytes of {@code bytes} from {@code offset}; completes once all is written. */
    synchronized void close(byte[] bytes, int offset, int length) {
        if (failed || closing) {
            return;
        }
        queue.add(ByteBuffer.wrap(bytes, offset, length));
        closing = true;
        pump();
    }

    @Override
    public synchronized void onWritePossible() {
        pump();
    }

    /** Writes and flushes while the connection is ready; otherwise the container calls back. */
    private void pump() {
        try {
            while (!failed && out.isReady()) {
                if (needsFlush) {
                    needsFlush = false;
                    if (!closing || !queue.isEmpty()) {
                        out.flush();
                        continue;
                    }
                    // The last bytes: complete() below sends them with the end of the response, in
                    // one write instead of a flush and then the terminating chunk.
                }
                ByteBuffer next = queue.poll();
                if (next == null) {
                    if (closing && !completed) {
                        completed = true;
                        async.complete();
                    }
                    return;
                }
                out.write(next.array(), next.arrayOffset() + next.position(), next.remaining());
                needsFlush = true;
            }
        } catch (IOException e) {
            onError(e);
        }
    }

    @Override
    public void onError(Throwable failure) {
        AsyncContext context;
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            queue.clear();
            context = async;
        }
        LOG.log(System.Logger.Level.DEBUG, "writing to the client failed", failure);
        onFailure.accept(failure);
        completeQuietly(context);
    }

    /** Completes {@code async} unless the container already ended the request (client gone, timeout). */
    static void completeQuietly(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "request already completed", e);
        }
    }
}
