package dev.llamashim.jetty;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.Content;

/**
 * Passes an upstream event stream on to the client with non-blocking output: it reads every piece
 * the upstream connection already holds, writes them to the output as one, and flushes once no
 * more is at hand. Each event leaves as soon as it has arrived, and events that arrived together
 * leave in one write (the servlet output buffer would otherwise hold small events back; normal
 * bodies keep it).
 *
 * <p>It waits either for upstream content ({@link Content.Source#demand}) or for the output
 * ({@link #onWritePossible()}), never for both, so one thread at a time runs it, each handed on by
 * the container's or the client's own synchronization. It reads only in the content's demand
 * callback, as Jetty's own content listeners do: the client then tells the exchange's end after
 * the callback returns, so a last piece is written before the exchange completes the output.
 */
final class EventStreamWriter implements WriteListener {

    /** Bytes gathered at most before they are written (a flush follows once nothing more is at hand). */
    private static final int MAX_BATCH = 32 * 1024;

    private final ServletOutputStream out;
    private final Response upstream;
    private final Content.Source source;
    private final RequestCapture capture;
    private final Runnable onContent = this::pump;
    /**
     * The pieces read and not yet written. Reused once written: the output copies what it is given,
     * or has written it, by the time it says it is ready again.
     */
    private byte[] batch = new byte[0];
    private int batched;
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

    /** Flushes what an unfinished write left, then asks for more content. */
    @Override
    public void onWritePossible() {
        try {
            if (!send(true)) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            onError(e);
            return;
        }
        source.demand(onContent);
    }

    /**
     * Gathers what the upstream holds; with nothing more at hand, writes and flushes it and asks
     * for more content once the output is ready. The last piece is written without a flush: the
     * exchange's end completes the output, which writes whatever it still buffers.
     */
    private void pump() {
        try {
            while (true) {
                Content.Chunk chunk = source.read();
                if (chunk == null) {
                    if (send(true)) {
                        source.demand(onContent);
                    }
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // What arrived before the failure still goes out; then, as Jetty's own content
                    // listener, the exchange's failure ends the answer.
                    send(true);
                    Throwable failure = chunk.getFailure();
                    upstream.abort(failure);
                    if (!chunk.isLast()) {
                        source.fail(failure);
                    }
                    return;
                }
                boolean last = chunk.isLast();
                try {
                    gather(chunk.getByteBuffer());
                } finally {
                    chunk.release();
                }
                if (last) {
                    send(false);
                    return;
                }
                if (batched >= MAX_BATCH && !send(false)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            onError(e);
        }
    }

    private void gather(ByteBuffer bytes) {
        int length = bytes.remaining();
        if (batch.length - batched < length) {
            batch = Arrays.copyOf(batch, Math.max(batched + length, Math.max(batch.length * 2, 1024)));
        }
        bytes.get(bytes.position(), batch, batched, length);
        if (capture != null) {
            capture.upstreamBytes(batch, batched, length);
        }
        batched += length;
    }

    /** Writes what is gathered, then flushes if asked and anything was written; whether the output is ready for more. */
    private boolean send(boolean flush) throws IOException {
        if (batched > 0) {
            out.write(batch, 0, batched);
            batched = 0;
            unflushed = true;
        }
        if (flush && unflushed) {
            if (!out.isReady()) {
                // The write is still going out; the flush follows on the next turn.
                return false;
            }
            unflushed = false;
            out.flush();
        }
        return out.isReady();
    }

    @Override
    public void onError(Throwable failure) {
        upstream.abort(failure);
    }
}
