package dev.llamashim.jetty;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Passes an upstream event stream on to the client piece by piece, each piece written and then
 * flushed with non-blocking output, so every event leaves as it arrives (the servlet output
 * buffer would otherwise hold small events back) while normal bodies keep the buffer. Used for
 * an output that is not the container's own (the filter's repair pipe); the container's own takes
 * the cheaper {@link DirectEventStreamWriter}.
 */
final class EventStreamWriter implements WriteListener {

    private final ServletOutputStream out;
    private final Response upstream;
    private byte[] buffer;
    private int offset;
    private int length;
    private boolean flushPending;
    private Callback callback;

    /**
     * A writer holding the first piece; it is written once this writer is set as the output's
     * {@link WriteListener} and the container calls {@link #onWritePossible()}.
     */
    EventStreamWriter(ServletOutputStream out, Response upstream, byte[] bytes, int offset, int length, Callback callback) {
        this.out = out;
        this.upstream = upstream;
        this.buffer = bytes;
        this.offset = offset;
        this.length = length;
        this.callback = callback;
    }

    /** Takes the next piece; {@code callback} completes once it is written and flushed. */
    void write(byte[] bytes, int offset, int length, Callback callback) {
        Callback done;
        try {
            synchronized (this) {
                this.buffer = bytes;
                this.offset = offset;
                this.length = length;
                this.callback = callback;
                done = pump();
            }
        } catch (IOException e) {
            onError(e);
            return;
        }
        complete(done);
    }

    @Override
    public void onWritePossible() {
        Callback done;
        try {
            synchronized (this) {
                done = pump();
            }
        } catch (IOException e) {
            onError(e);
            return;
        }
        complete(done);
    }

    /**
     * Writes, then flushes, each only when the connection is ready (the container calls
     * {@link #onWritePossible()} otherwise). Returns the piece's callback once it is written and
     * flushed, taken from this writer for the caller to complete after releasing the lock; else {@code null}.
     */
    private Callback pump() throws IOException {
        if (buffer != null) {
            if (!out.isReady()) {
                return null;
            }
            out.write(buffer, offset, length);
            buffer = null;
            flushPending = true;
        }
        if (flushPending) {
            if (!out.isReady()) {
                return null;
            }
            out.flush();
            flushPending = false;
        }
        if (callback == null || !out.isReady()) {
            return null;
        }
        Callback done = callback;
        callback = null;
        return done;
    }

    /** Completes a written piece; this may hand over the next one at once (calling {@link #write} on this thread). */
    private static void complete(Callback done) {
        if (done != null) {
            done.succeeded();
        }
    }

    @Override
    public void onError(Throwable failure) {
        Callback failed;
        synchronized (this) {
            failed = callback;
            callback = null;
            buffer = null;
        }
        if (failed != null) {
            failed.failed(failure);
        }
        upstream.abort(failure);
    }
}
