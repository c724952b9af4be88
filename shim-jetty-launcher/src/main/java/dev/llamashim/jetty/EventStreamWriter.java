package dev.llamashim.jetty;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.Content;

/**
 * Passes an upstream event stream on to the client with non-blocking output: it reads every piece
 * the upstream connection already holds, writes them to the output, and flushes once no more is at
 * hand. Each event leaves as soon as it has arrived, and events that arrived together leave in one
 * write (the servlet output buffer would otherwise hold small events back; normal bodies keep it).
 *
 * <p>It waits either for upstream content ({@link Content.Source#demand}) or for the output
 * ({@link #onWritePossible()}), never for both, so one thread at a time runs it, each handed on by
 * the container's or the client's own synchronization. It reads only in the content's demand
 * callback, as Jetty's own content listeners do: the client then tells the exchange's end after
 * the callback returns, so a last piece is written before the exchange completes the output.
 */
final class EventStreamWriter implements WriteListener {

    private final ServletOutputStream out;
    private final Response upstream;
    private final Content.Source source;
    private final RequestCapture capture;
    private final Runnable onContent = this::pump;
    /** The piece being written. The output copies it or has written it before it says it is ready again. */
    private byte[] piece = new byte[4096];
    /** Bytes written since the last flush. */
    private boolean unflushed;

    /** @param capture gets every upstream byte, or {@code null} */
    EventStreamWriter(ServletOutputStream out, Response upstream, Content.Source source, RequestCapture capture) {
        this.out = out;
        this.upstream = upstream;
        this.source = source;
        this.capture = capture;
    }

    /** Starts passing the stream on; the container calls {@link #onWritePossible()} once the output is ready. */
    void start() {
        out.setWriteListener(this);
    }

    @Override
    public void onWritePossible() {
        source.demand(onContent);
    }

    /**
     * Writes what the upstream holds while the output is ready; with nothing more at hand, flushes
     * and asks for more content. The last piece is left for the exchange's end, which completes
     * the output and so writes whatever it still buffers.
     */
    private void pump() {
        try {
            while (out.isReady()) {
                Content.Chunk chunk = source.read();
                if (chunk == null) {
                    if (unflushed) {
                        unflushed = false;
                        out.flush();
                        if (!out.isReady()) {
                            return;
                        }
                    }
                    source.demand(onContent);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // As Jetty's own content listener: the exchange's failure ends the answer.
                    Throwable failure = chunk.getFailure();
                    upstream.abort(failure);
                    if (!chunk.isLast()) {
                        source.fail(failure);
                    }
                    return;
                }
                boolean last = chunk.isLast();
                try {
                    write(chunk.getByteBuffer());
                } finally {
                    chunk.release();
                }
                if (last) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            onError(e);
        }
    }

    private void write(ByteBuffer bytes) throws IOException {
        int length = bytes.remaining();
        if (length == 0) {
            return;
        }
        if (piece.length < length) {
            piece = new byte[Math.max(length, piece.length * 2)];
        }
        bytes.get(bytes.position(), piece, 0, length);
        if (capture != null) {
            capture.upstreamBytes(piece, 0, length);
        }
        out.write(piece, 0, length);
        unflushed = true;
    }

    @Override
    public void onError(Throwable failure) {
        upstream.abort(failure);
    }
}
