package dev.llamashim.servlet;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;

/** A request body already in memory, readable both blocking and with a {@link ReadListener}. */
final class BodyInputStream extends ServletInputStream {

    private final byte[] body;
    private int position;

    BodyInputStream(byte[] body) {
        this.body = body;
    }

    @Override
    public int read() {
        return position < body.length ? body[position++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (position >= body.length) {
            return -1;
        }
        int n = Math.min(len, body.length - position);
        System.arraycopy(body, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return body.length - position;
    }

    @Override
    public boolean isFinished() {
        return position >= body.length;
    }

    @Override
    public boolean isReady() {
        return true;
    }

    /** All data is here already, so the listener is called at once: data available, then all read. */
    @Override
    public void setReadListener(ReadListener listener) {
        try {
            if (!isFinished()) {
                listener.onDataAvailable();
            }
            if (isFinished()) {
                listener.onAllDataRead();
            }
        } catch (IOException | RuntimeException e) {
            listener.onError(e);
        }
    }
}
