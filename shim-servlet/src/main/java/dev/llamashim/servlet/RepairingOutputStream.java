package dev.llamashim.servlet;

import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.ShimException;
import dev.llamashim.core.StreamRepairer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The body stream the downstream writes when the model server was asked to stream (modes
 * {@code repair} and {@code auto}). What to do is decided when the downstream first writes, flushes
 * or sets a {@link WriteListener}, by then it has set its status and content type: a
 * {@code 200 text/event-stream} answer is mended by a {@link StreamRepairer} and sent on to the
 * client event by event as it arrives; any other answer is held, like a synthesize attempt's, for
 * the exchange to deal with once the downstream is done.
 *
 * <p>On an async request the repaired events are queued on the client's {@link NonBlockingWriter};
 * this stream reports itself not ready while that queue is full, so a slow client slows the
 * downstream (a proxy then stops reading the model server) instead of filling memory.
 */
final class RepairingOutputStream extends ServletOutputStream {

    private static final System.Logger LOG = System.getLogger(RepairingOutputStream.class.getName());

    private enum State { UNDECIDED, OPENING, HOLDING, REPAIRING, ENDED }

    private final CapturingResponse downstreamResponse;
    private final CaptureOutputStream held;
    private final ShimExchange exchange;
    private final StreamRepairer repairer;
    private final ByteArrayOutputStream events = new ByteArrayOutputStream();
    private State state = State.UNDECIDED;
    private NonBlockingWriter queued;
    private ServletOutputStream direct;
    private WriteListener listener;
    /** The error code of the event that ended the stream early, or {@code null}. */
    private String endedWithError;
    /** Read without this object's lock: the response asks while holding its own. */
    private volatile boolean streamed;

    RepairingOutputStream(CapturingResponse downstreamResponse, CaptureOutputStream held, ShimExchange exchange,
            RepairOptions options) {
        this.downstreamResponse = downstreamResponse;
        this.held = held;
        this.exchange = exchange;
        this.repairer = new StreamRepairer(options, events::writeBytes);
    }

    /** Whether the client's stream has started: the answer is being repaired (or was, until it ended). */
    boolean streamed() {
        return streamed;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        decide();
        byte[] out;
        String failure = null;
        synchronized (this) {
            switch (state) {
                case HOLDING -> {
                    held.write(bytes, offset, length);
                    return;
                }
                case ENDED -> throw new IOException("the stream to the client has ended");
                default -> {
                    events.reset();
                    try {
                        repairer.feed(bytes, offset, length);
                    } catch (ShimException e) {
                        failure = e.getMessage();
                        state = State.ENDED;
                        endedWithError = "invalid_upstream_stream";
                        events.writeBytes(errorEvent("the model server's stream could not be repaired: " + failure,
                                "invalid_upstream_stream"));
                    }
                    out = events.toByteArray();
                }
            }
        }
        send(out);
        if (failure != null) {
            // Makes the downstream stop: a proxy aborts the model server's exchange.
            throw new IOException("the model server's stream could not be repaired: " + failure);
        }
    }

    @Override
    public boolean isReady() {
        NonBlockingWriter writer;
        ServletOutputStream client;
        synchronized (this) {
            if (state != State.REPAIRING) {
                return true;
            }
            writer = queued;
            client = direct;
        }
        if (client != null) {
            return client.isReady();
        }
        return writer.hasRoomOrLater(this::resumeDownstream);
    }

    @Override
    public void setWriteListener(WriteListener writeListener) {
        try {
            decide();
        } catch (IOException e) {
            writeListener.onError(e);
            return;
        }
        ServletOutputStream client;
        synchronized (this) {
            listener = writeListener;
            client = direct;
        }
        if (client != null) {
            client.setWriteListener(writeListener);
        } else if (state() == State.HOLDING) {
            held.setWriteListener(writeListener);
        } else {
            // Called back later, as by a container, not inside the downstream's own call.
            exchange.callBack(this::resumeDownstream);
        }
    }

    @Override
    public void flush() throws IOException {
        decide();
        ServletOutputStream client;
        synchronized (this) {
            client = state == State.REPAIRING ? direct : null;
        }
        if (client != null) {
            client.flush();
        }
        // Queued events are flushed by the writer, each as it is written.
    }

    @Override
    public void close() {
        // The downstream's answer ends when it returns or completes, which the exchange sees.
    }

    /**
     * The downstream is done: a repaired stream gets what the repairer held back (finish chunks,
     * usage, {@code [DONE]}) and the client's response is completed ({@code async} when the
     * request is async).
     */
    void finish(AsyncContext async) {
        byte[] tail;
        NonBlockingWriter writer;
        ServletOutputStream client;
        String error;
        RepairCounts repairs;
        synchronized (this) {
            events.reset();
            if (state == State.REPAIRING) {
                repairer.finish();
            }
            state = State.ENDED;
            tail = events.toByteArray();
            writer = queued;
            client = direct;
            error = endedWithError;
            repairs = RepairCounts.of(repairer.report());
        }
        exchange.repairEnded(repairs, error);
        if (writer != null) {
            writer.close(tail, 0, tail.length);
            return;
        }
        try {
            client.write(tail);
            client.flush();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "the client went away before the end of the stream", e);
        }
        if (async != null) {
            NonBlockingWriter.completeQuietly(async);
        }
    }

    /** The downstream reported a failure after the stream started (its upstream broke off): the client hears of it. */
    void brokeOff() {
        byte[] event;
        synchronized (this) {
            if (state != State.REPAIRING) {
                return;
            }
            state = State.ENDED;
            endedWithError = "upstream_stream_incomplete";
            event = errorEvent("the model server's stream broke off before its end", endedWithError);
        }
        try {
            send(event);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "the client went away before the end of the stream", e);
        }
    }

    private synchronized State state() {
        return state;
    }

    /**
     * Looks at the downstream's status and headers once, the first time its body is touched. The
     * client's stream is opened without this object's lock held: the container takes its own
     * locks then, which its threads may hold while they call this stream.
     */
    private void decide() throws IOException {
        synchronized (this) {
            while (state == State.OPENING) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while the stream to the client opened");
                }
            }
            if (state != State.UNDECIDED) {
                return;
            }
            if (!downstreamResponse.isRepairableStream()) {
                state = State.HOLDING;
                return;
            }
            state = State.OPENING;
        }
        NonBlockingWriter writer = null;
        ServletOutputStream client = null;
        State next = State.ENDED;
        try {
            writer = exchange.startRepairedStream(ShimAnswer.streamHeaders(downstreamResponse.headers()));
            client = writer == null ? exchange.clientOutput() : null;
            next = State.REPAIRING;
        } finally {
            synchronized (this) {
                queued = writer;
                direct = client;
                state = next;
                streamed = next == State.REPAIRING;
                notifyAll();
            }
        }
    }

    private void send(byte[] out) throws IOException {
        NonBlockingWriter writer;
        ServletOutputStream client;
        boolean blocking;
        synchronized (this) {
            writer = queued;
            client = direct;
            blocking = listener == null;
        }
        if (client != null) {
            if (out.length > 0) {
                client.write(out);
                client.flush();
            }
            return;
        }
        if (out.length > 0) {
            writer.send(out);
        }
        if (blocking) {
            writer.awaitRoom();
        }
    }

    private void resumeDownstream() {
        WriteListener downstream;
        synchronized (this) {
            downstream = listener;
        }
        if (downstream == null) {
            return;
        }
        try {
            downstream.onWritePossible();
        } catch (IOException | RuntimeException e) {
            downstream.onError(e);
        }
    }

    private static byte[] errorEvent(String message, String code) {
        String error = new String(new OpenAiError(502, message, "upstream_error", code).toJson(), StandardCharsets.UTF_8);
        return ("data: " + error + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
