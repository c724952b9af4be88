package dev.llamashim.servlet;

import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.ShimException;
import dev.llamashim.core.SseFrames;
import dev.llamashim.core.StreamRepairer;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;

/**
 * The body stream the forwarder writes when the model server was asked to stream (modes
 * {@code repair} and {@code auto}). What to do is decided when the forwarder first writes,
 * flushes or sets a {@link WriteListener}; by then it has set its status and content type: a
 * {@code 200 text/event-stream} answer is mended by a {@link StreamRepairer} and piped into the
 * {@link ClientStream} event by event as it arrives; any other answer is held in the
 * {@link HeldBody}, like a synthesize attempt's, for the exchange to deal with once the forwarder
 * is done.
 *
 * <p>While the client's queue is full this stream reports itself not ready, so a slow client
 * slows the forwarder (a proxy then stops reading the model server) instead of filling memory.
 */
final class RepairPipe extends ServletOutputStream {

    private static final System.Logger LOG = System.getLogger(RepairPipe.class.getName());
    private static final byte[] DONE = SseFrames.done();

    private enum State {
        /** The forwarder has not touched the body yet. */
        UNDECIDED,
        /** One thread opens the client's stream; others wait for it. */
        OPENING,
        /** Not a repairable stream: the body is held. */
        HOLDING,
        /** Events are repaired and piped to the client. */
        REPAIRING,
        /** The repaired stream is over (finished, or broken off): nothing more is piped. */
        ENDED
    }

    /** How a repaired stream ended: its last events, what was mended, and the error code that ended it early, if one did. */
    record Ending(byte[] tail, RepairCounts repairs, String errorCode) {}

    private final ForwarderHead head;
    private final HeldBody held;
    private final ClientStream client;
    private final Executor callbacks;
    private final StreamRepairer repairer;
    private final ByteArrayOutputStream events = new ByteArrayOutputStream();
    private final ShimLock lock = new ShimLock();
    private final Condition decided = lock.newCondition();
    private State state = State.UNDECIDED;
    private boolean streamed;
    /** Whether the repairer has written {@code data: [DONE]}: its output is over. */
    private boolean done;
    private WriteListener listener;
    /** The error code of the event that ended the stream early, or {@code null}. */
    private String endedWithError;

    /** @param callbacks runs the forwarder's {@code WriteListener} calls on a container thread */
    RepairPipe(ForwarderHead head, HeldBody held, ClientStream client, RepairOptions options, Executor callbacks) {
        this.head = head;
        this.held = held;
        this.client = client;
        this.callbacks = callbacks;
        this.repairer = new StreamRepairer(options, this::repaired);
    }

    /** Whether the client's stream has started: the answer is being repaired (or was, until it ended). */
    boolean streamed() {
        return lock.get(() -> streamed);
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
        boolean blocking;
        boolean last;
        lock.lock();
        try {
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
                                endedWithError));
                    }
                    out = events.toByteArray();
                    blocking = listener == null;
                    last = failure != null || done;
                }
            }
        } finally {
            lock.unlock();
        }
        if (last) {
            client.sendLast(out);
        } else {
            client.send(out);
        }
        if (failure != null) {
            // Makes the forwarder stop: a proxy aborts the model server's exchange.
            throw new IOException("the model server's stream could not be repaired: " + failure);
        }
        if (blocking) {
            client.awaitRoom();
        }
    }

    @Override
    public boolean isReady() {
        if (lock.get(() -> state) != State.REPAIRING) {
            return true;
        }
        return client.hasRoomOrLater(this::resumeForwarder);
    }

    @Override
    public void setWriteListener(WriteListener writeListener) {
        try {
            decide();
        } catch (IOException e) {
            ShimLock.assertNoneHeld();
            writeListener.onError(e);
            return;
        }
        State now = lock.get(() -> {
            listener = writeListener;
            return state;
        });
        if (now == State.HOLDING) {
            held.setWriteListener(writeListener);
        } else {
            // Called back later, as by a container, not inside the forwarder's own call.
            ShimLock.assertNoneHeld();
            callbacks.execute(this::resumeForwarder);
        }
    }

    @Override
    public void flush() throws IOException {
        decide();
        // Each event goes to the client as it is piped.
    }

    @Override
    public void close() {
        // The forwarder's answer ends when it returns or completes, which the exchange sees.
    }

    /**
     * The forwarder is done: a repaired stream gets what the repairer held back (finish chunks,
     * usage, {@code [DONE]}), for the exchange to close the client's stream with.
     */
    Ending finish() {
        return lock.get(() -> {
            events.reset();
            if (state == State.REPAIRING) {
                try {
                    repairer.finish();
                } catch (ShimException e) {
                    // The forwarder stopped inside an event (it failed, or the client went first).
                    endedWithError = "invalid_upstream_stream";
                    events.writeBytes(errorEvent("the model server's stream could not be repaired: " + e.getMessage(),
                            endedWithError));
                }
            }
            state = State.ENDED;
            return new Ending(events.toByteArray(), RepairCounts.of(repairer.report()), endedWithError);
        });
    }

    /** One frame of the repairer's output. Under the lock. */
    private void repaired(byte[] frame) {
        events.writeBytes(frame);
        done |= Arrays.equals(frame, DONE);
    }

    /** The forwarder reported a failure after the stream started (its upstream broke off): the client hears of it. */
    void brokeOff() {
        byte[] event = lock.get(() -> {
            if (state != State.REPAIRING) {
                return null;
            }
            state = State.ENDED;
            endedWithError = "upstream_stream_incomplete";
            return errorEvent("the model server's stream broke off before its end", endedWithError);
        });
        if (event == null) {
            return;
        }
        try {
            client.sendLast(event);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "the client went away before the end of the stream", e);
        }
    }

    /**
     * Looks at the forwarder's status and headers once, the first time its body is touched. The
     * client's stream is opened without any lock held; a thread that comes meanwhile waits.
     */
    private void decide() throws IOException {
        lock.lock();
        try {
            while (state == State.OPENING) {
                decided.await();
            }
            if (state != State.UNDECIDED) {
                return;
            }
            if (!head.isRepairableStream()) {
                state = State.HOLDING;
                return;
            }
            state = State.OPENING;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the stream to the client opened");
        } finally {
            lock.unlock();
        }
        client.open(ShimAnswer.streamHeaders(head.headers()));
        lock.run(() -> {
            state = State.REPAIRING;
            streamed = true;
            decided.signalAll();
        });
    }

    private void resumeForwarder() {
        WriteListener forwarder = lock.get(() -> listener);
        if (forwarder == null) {
            return;
        }
        ShimLock.assertNoneHeld();
        try {
            forwarder.onWritePossible();
        } catch (IOException | RuntimeException e) {
            forwarder.onError(e);
        }
    }

    private static byte[] errorEvent(String message, String code) {
        return SseFrames.data(new OpenAiError(502, message, "upstream_error", code).toJson());
    }
}
