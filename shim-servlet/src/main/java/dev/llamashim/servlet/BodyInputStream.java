package dev.llamashim.servlet;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A request body already in memory, readable blocking or with a {@link ReadListener}. A listener
 * is called back as Jetty's own input calls back, never from inside {@code setReadListener} nor
 * from inside a read: on a container thread, {@code onDataAvailable} once (all data is here, so
 * {@link #isReady()} never turns false), then {@code onAllDataRead} once the reader has seen the
 * end (a read returned -1, or {@link #isFinished()} returned true), not while
 * {@code onDataAvailable} runs; {@code onError} instead of the rest when a callback throws.
 */
final class BodyInputStream extends ServletInputStream {

    private final byte[] body;
    private final Executor callbacks;
    private int position;
    private boolean endSeen;
    private ReadListener listener;
    /** A callback for the listener is queued or running; the end seen meanwhile is told when it is done. */
    private boolean calling;
    private boolean allDataReadTold;

    /** @param callbacks runs a {@link ReadListener}'s calls on a container thread of the request's async cycle */
    BodyInputStream(byte[] body, Executor callbacks) {
        this.body = body;
        this.callbacks = callbacks;
    }

    @Override
    public int read() {
        synchronized (this) {
            if (position < body.length) {
                return body[position++] & 0xFF;
            }
        }
        endReached();
        return -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        synchronized (this) {
            if (position < body.length) {
                int n = Math.min(len, body.length - position);
                System.arraycopy(body, position, b, off, n);
                position += n;
                return n;
            }
        }
        endReached();
        return -1;
    }

    @Override
    public synchronized int available() {
        return body.length - position;
    }

    @Override
    public boolean isFinished() {
        synchronized (this) {
            if (position < body.length) {
                return false;
            }
        }
        endReached();
        return true;
    }

    /** Always: the whole body is in memory, and at its end a read returns -1 at once. */
    @Override
    public boolean isReady() {
        return true;
    }

    /**
     * Calls {@code listener} back later on a container thread, as described on this class.
     *
     * @throws IllegalStateException when a listener is already set, or the request is not async
     */
    @Override
    public void setReadListener(ReadListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (this) {
            if (this.listener != null) {
                throw new IllegalStateException("a ReadListener is already set");
            }
            this.listener = listener;
            calling = true;
        }
        try {
            callbacks.execute(this::firstCall);
        } catch (RuntimeException e) {
            synchronized (this) {
                this.listener = null;
                calling = false;
            }
            throw e;
        }
    }

    /** Data available, or (the body already read) all data read; then the end, if the reader saw it meanwhile. */
    private void firstCall() {
        boolean allRead;
        synchronized (this) {
            allRead = position >= body.length;
        }
        if (!allRead) {
            try {
                listener.onDataAvailable();
            } catch (Throwable failure) {
                synchronized (this) {
                    allDataReadTold = true; // an error ends the listener's calls
                }
                listener.onError(failure);
                return;
            }
        }
        synchronized (this) {
            calling = false;
            if (allRead) {
                endSeen = true;
            }
            if (!endSeen || allDataReadTold) {
                return;
            }
            allDataReadTold = true;
        }
        tellAllDataRead();
    }

    /** The reader saw the end: a listener hears of it once, on a container thread, after any callback running now. */
    private void endReached() {
        synchronized (this) {
            endSeen = true;
            if (listener == null || calling || allDataReadTold) {
                return;
            }
            allDataReadTold = true;
        }
        // A read may come from any thread (Jetty's proxy reads on its client's threads); the
        // listener hears of the end on a container thread, as from a container's own input.
        try {
            callbacks.execute(this::tellAllDataRead);
        } catch (IllegalStateException ended) {
            // The container refuses: the request's async cycle is over, and nobody waits for the end.
        }
    }

    private void tellAllDataRead() {
        try {
            listener.onAllDataRead();
        } catch (Throwable failure) {
            listener.onError(failure);
        }
    }
}
