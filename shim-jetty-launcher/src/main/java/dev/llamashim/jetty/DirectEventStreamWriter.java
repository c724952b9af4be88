package dev.llamashim.jetty;

import jakarta.servlet.WriteListener;
import java.io.IOException;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.eclipse.jetty.io.Content;

/**
 * Passes an upstream event stream on to the client chunk by chunk, each written with
 * {@link HttpOutput#write(java.nio.ByteBuffer)} straight from the proxy client's own buffer: no copy
 * and no separate flush, because that write bypasses the servlet output buffer and sends at once.
 * So every event leaves as it arrives, as with {@link EventStreamWriter}, for less work per event.
 * Only for the container's own output: a wrapped response (the filter's repair pipe) has no such
 * write and goes through {@link EventStreamWriter}.
 *
 * <p>Ownership: a chunk belongs to Jetty's HTTP client until it is released. The writer retains each
 * chunk it is given and releases it only once its write is done ({@code isReady()} true after the
 * write, or {@link #onWritePossible()} when it was not), then asks the client for the next one
 * (its demander). The client gives one chunk at a time, so at most one is held. A failed write
 * releases the chunk and aborts the upstream response.
 *
 * <p>Threads: {@link #write} runs on the thread that delivers the upstream's content (the proxy
 * client's selector, its transport being non-blocking, or a thread that just demanded more);
 * {@link #onWritePossible()} and {@link #onError} on container threads. The state is guarded by
 * this writer's monitor; chunks are released and demanders run outside it.
 */
final class DirectEventStreamWriter implements WriteListener {

    private final HttpOutput out;
    private final Response upstream;
    /** The request's capture, or {@code null}: it gets each chunk's bytes before they are written. */
    private final RequestCapture capture;

    // Guarded by this.
    /** The chunk being written, retained; {@code null} between chunks and after a failure. */
    private Content.Chunk chunk;
    /** Asks the client for the chunk after {@link #chunk}; run once that one is written. */
    private Runnable demander;
    /** The output has its write listener: set once, at the first chunk. */
    private boolean listening;
    /**
     * A write is allowed without asking {@code isReady()} first: inside {@link #onWritePossible()},
     * or when the last {@code isReady()} after a write returned true. Spares one call per event.
     */
    private boolean writable;
    /** {@link #chunk} was handed to the output and its write is not yet seen done. */
    private boolean written;

    DirectEventStreamWriter(HttpOutput out, Response upstream, RequestCapture capture) {
        this.out = out;
        this.upstream = upstream;
        this.capture = capture;
    }

    /**
     * Takes the next chunk; the first one goes out once the output calls {@link #onWritePossible()},
     * the others at once when the output is ready. {@code demander} runs once the chunk is written.
     * The caller may release its own hold on the chunk when this returns.
     */
    void write(Content.Chunk next, Runnable nextDemander) {
        if (capture != null) {
            capture.upstreamBytes(next.getByteBuffer());
        }
        next.retain();
        boolean first;
        Runnable done = null;
        try {
            synchronized (this) {
                chunk = next;
                demander = nextDemander;
                first = !listening;
                listening = true;
                if (!first) {
                    done = pump();
                }
            }
            if (first) {
                // The container calls onWritePossible() once the output is non-blocking, on one of
                // its threads, and the first chunk goes out then.
                out.setWriteListener(this);
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        if (done != null) {
            done.run();
        }
    }

    @Override
    public void onWritePossible() {
        Runnable done;
        try {
            synchronized (this) {
                writable = true;
                done = pump();
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        if (done != null) {
            done.run();
        }
    }

    /**
     * Writes the held chunk when allowed, and when its write is done releases it and returns its
     * demander, for the caller to run once it has left the monitor; else {@code null} (the output
     * calls {@link #onWritePossible()} when it can go on).
     */
    private Runnable pump() throws IOException {
        if (chunk == null) {
            return null;
        }
        if (!written) {
            if (!writable && !out.isReady()) {
                return null;
            }
            written = true;
            writable = false;
            out.write(chunk.getByteBuffer());
        }
        if (!out.isReady()) {
            // The write goes on without us; the buffer stays the output's until onWritePossible().
            return null;
        }
        writable = true;
        written = false;
        chunk.release();
        chunk = null;
        Runnable done = demander;
        demander = null;
        return done;
    }

    @Override
    public void onError(Throwable failure) {
        fail(failure);
    }

    /** The write failed (the client is gone, most often): the chunk is let go and the upstream response aborted. */
    private void fail(Throwable failure) {
        Content.Chunk held;
        synchronized (this) {
            held = chunk;
            chunk = null;
            demander = null;
        }
        if (held != null) {
            held.release();
        }
        upstream.abort(failure);
    }
}
