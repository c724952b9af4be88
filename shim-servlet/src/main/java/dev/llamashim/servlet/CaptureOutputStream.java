package dev.llamashim.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * Holds what the downstream writes, up to a bound. Always ready: a downstream using a
 * {@link WriteListener} (Jetty's async proxy) is called back as soon as a container thread can
 * run it, never from inside {@code setWriteListener} (Jetty's proxy hands a piece over and sets its
 * listener in one call; calling back inside it lost answers to other requests under load). Writing
 * past the bound fails with an {@link IOException}, which makes a proxy abort its upstream exchange.
 */
final class CaptureOutputStream extends ServletOutputStream {

    private final int limit;
    private final Executor callbacks;
    private byte[] buffer = new byte[1024];
    private int size;
    private boolean overflowed;

    /** @param callbacks runs a {@link WriteListener}'s calls on a container thread of the request */
    CaptureOutputStream(int limit, Executor callbacks) {
        this.limit = limit;
        this.callbacks = callbacks;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        ensureRoom(1);
        buffer[size++] = (byte) b;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        ensureRoom(len);
        System.arraycopy(b, off, buffer, size, len);
        size += len;
    }

    private void ensureRoom(int len) throws IOException {
        if (overflowed || len > limit - size) {
            overflowed = true;
            throw new IOException("the downstream answer is larger than max-response-bytes (" + limit + ")");
        }
        if (size + len > buffer.length) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(limit, Math.max((long) buffer.length * 2, size + len)));
        }
    }

    /**
     * Makes room at once for an answer of the length the downstream announced; one over the bound
     * will overflow anyway, and gets no room in advance.
     */
    synchronized void expect(long length) {
        if (length > buffer.length && length <= limit && size == 0) {
            buffer = new byte[(int) length];
        }
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public void setWriteListener(WriteListener listener) {
        callbacks.execute(() -> {
            try {
                listener.onWritePossible();
            } catch (IOException | RuntimeException e) {
                listener.onError(e);
            }
        });
    }

    synchronized boolean overflowed() {
        return overflowed;
    }

    synchronized int size() {
        return size;
    }

    /** The bytes written so far; the array may be longer than {@link #size()}. */
    synchronized byte[] bytes() {
        return buffer;
    }

    /** Drops what was written; an overflow stays recorded (the answer it cut short is still too large). */
    synchronized void reset() {
        size = 0;
    }
}
