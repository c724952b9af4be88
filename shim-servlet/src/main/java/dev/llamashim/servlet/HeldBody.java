package dev.llamashim.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * The body the forwarder writes, held in memory up to a bound instead of sent. Always ready: a
 * forwarder using a {@link WriteListener} (Jetty's async proxy) is called back as soon as a
 * container thread can run it, never from inside {@code setWriteListener} (Jetty's proxy hands a
 * piece over and sets its listener in one call). Writing past the bound fails with an
 * {@link IOException}, which makes a proxy abort its upstream exchange.
 */
final class HeldBody extends ServletOutputStream {

    /** The smallest buffer a write allocates when none of the announced length was made. */
    private static final int MIN_BUFFER = 1024;

    private final int limit;
    private final Executor callbacks;
    private final ShimLock lock = new ShimLock();
    /** Allocated at the first write, or at the length the forwarder announces ({@link #expect}). */
    private byte[] buffer = new byte[0];
    private int size;
    private boolean overflowed;

    /** @param callbacks runs a {@link WriteListener}'s calls on a container thread of the request */
    HeldBody(int limit, Executor callbacks) {
        this.limit = limit;
        this.callbacks = callbacks;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        lock.lock();
        try {
            if (overflowed || len > limit - size) {
                overflowed = true;
                throw new IOException("the forwarder's answer is larger than max-response-bytes (" + limit + ")");
            }
            if (size + len > buffer.length) {
                long grown = Math.max(Math.max((long) buffer.length * 2, MIN_BUFFER), size + len);
                buffer = Arrays.copyOf(buffer, (int) Math.min(limit, grown));
            }
            System.arraycopy(b, off, buffer, size, len);
            size += len;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes room at once for an answer of the length the forwarder announced; one over the bound
     * will overflow anyway, and gets no room in advance.
     */
    void expect(long length) {
        lock.run(() -> {
            if (length > buffer.length && length <= limit && size == 0) {
                buffer = new byte[(int) length];
            }
        });
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public void setWriteListener(WriteListener listener) {
        ShimLock.assertNoneHeld();
        callbacks.execute(() -> {
            try {
                listener.onWritePossible();
            } catch (IOException | RuntimeException e) {
                listener.onError(e);
            }
        });
    }

    boolean overflowed() {
        return lock.get(() -> overflowed);
    }

    int size() {
        return lock.get(() -> size);
    }

    /** The bytes written so far; the array may be longer than {@link #size()}. */
    byte[] bytes() {
        return lock.get(() -> buffer);
    }

    /** Drops what was written; an overflow stays recorded (the answer it cut short is still too large). */
    void reset() {
        lock.run(() -> size = 0);
    }
}
