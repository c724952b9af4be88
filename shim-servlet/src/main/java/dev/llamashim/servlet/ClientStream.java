package dev.llamashim.servlet;

import dev.llamashim.core.SseFrames;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.function.Consumer;

/**
 * The client's response, and the only class that touches it: opens it (status, headers, content
 * type), sends events and heartbeats, writes whole answers, and ends it. On an async request the
 * output is non-blocking: bytes wait in a queue, and exactly one thread at a time writes them,
 * asking {@code isReady()} before every write, flush and {@code complete()}. A thread that hears
 * "not ready" stops, and the container's {@code onWritePossible} carries on; until it came,
 * senders only queue. Bytes written are flushed before the writer stops, except the last ones:
 * the output is closed after them, so they and the response's end leave together. Either call
 * commits the response: one the container still buffers is not committed, and a container whose
 * async timeout fires then replaces it with its own error page. {@code complete()} is called only
 * after that close and once {@code isReady()} said yes again. A whole answer gets an output buffer
 * that holds all of it, so its head, body and end go to the client in one write (the container
 * may then frame it with a {@code Content-Length}). Without an async cycle (the forwarder answers
 * on the request's own thread) events are written blocking by the thread that sends them.
 *
 * <p>It calls back only outside its lock: once "client gone" when a write fails, and the one
 * "room again" task a writer left with {@link #hasRoomOrLater}.
 */
final class ClientStream implements WriteListener {

    private static final System.Logger LOG = System.getLogger(ClientStream.class.getName());
    /** Bytes waiting for the client above which {@link #hasRoomOrLater} says no. */
    static final int HIGH_WATER_BYTES = 64 * 1024;
    /** How long a container callback that must end the cycle waits for a writer on another thread. */
    private static final long WRITER_WAIT_MILLIS = 500;
    /** Queued after the last bytes: the response ends once all before it is written. */
    private static final ByteBuffer END = ByteBuffer.allocate(0);
    /** The largest whole event-stream answer the output buffer is sized to hold until the response ends. */
    static final int WHOLE_ANSWER_BUFFER_MAX = 64 * 1024;

    private enum State {
        /** Nothing is sent yet: no status, no header, no byte (the write listener may be set). */
        IDLE,
        /** One thread sets the status and headers: bytes queue, and nobody writes until it has. */
        OPENING,
        /** Opened with non-blocking output: queued bytes go out as the client takes them. */
        OPEN,
        /** Opened without an async cycle: the sending thread writes, blocking. */
        BLOCKING,
        /** The end was written (and the async cycle completed): nothing more is written. */
        ENDED,
        /** A write failed, or the container saw the client go: nothing more is written. */
        GONE
    }

    /** Who may write to the non-blocking output now. */
    private enum Turn {
        /** The container owes an {@code onWritePossible} (after {@code setWriteListener}, or a "not ready"): only it writes. */
        CONTAINER,
        /** Nobody writes and no callback is owed: a sender may write. */
        FREE,
        /** One thread writes. */
        TAKEN,
        /** One thread writes, and the container's callback came meanwhile: the writer asks {@code isReady()} again before it stops. */
        TAKEN_CALLED_BACK
    }

    private final HttpServletResponse response;
    private final Consumer<Throwable> clientGone;
    private final ShimLock lock = new ShimLock();
    private final Condition room = lock.newCondition();
    /** Signalled when a writer gives up its turn, the write listener is set, the end is queued, or the client is gone. */
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private State state = State.IDLE;
    private Turn turn = Turn.CONTAINER;
    private AsyncContext async;
    private ServletOutputStream out;
    private boolean flushDue;
    /** Whether {@code setWriteListener} has returned: the output is non-blocking (Tomcat makes it blocking again at a dispatch). */
    private boolean listening;
    /** Whether a thread that wrote the end (or found the client gone) has yet to return from {@code complete()}. */
    private boolean completing;
    /** Whether this stream has called {@code complete()} (or is about to): it does so once. */
    private boolean completeClaimed;
    /** Whether the container ends the request itself (its onError or onComplete came): nothing here calls it any more. */
    private boolean containerEnding;
    /** Whether one thread is in {@link #listen}. */
    private boolean registering;
    /** The stream's last event is queued ({@code [DONE]} or an error): only the end may follow it, no heartbeat, no event. */
    private boolean lastQueued;
    private long queuedBytes;
    private Runnable whenRoom;

    /** @param clientGone hears once, outside any lock, that writing failed: the client went away */
    ClientStream(HttpServletResponse response, Consumer<Throwable> clientGone) {
        this.response = response;
        this.clientGone = clientGone;
    }

    /**
     * Writes {@code answer} as the whole response at once: with non-blocking output when the
     * request can go async, else blocking. For answers given before any exchange starts.
     */
    static void answerAtOnce(HttpServletRequest request, HttpServletResponse response, ShimAnswer answer) {
        ClientStream stream = new ClientStream(response, failure -> { });
        if (request.isAsyncSupported()) {
            ShimLock.assertNoneHeld();
            stream.asyncCycle(request.startAsync(request, response));
        }
        stream.answer(answer);
    }

    /**
     * The async cycle to write in and to complete at the end, or {@code null} while none is
     * going (a stream opened then is written blocking).
     */
    void asyncCycle(AsyncContext cycle) {
        lock.run(() -> async = cycle);
    }

    /** Whether the client went away (a write failed, or the container said so). */
    boolean gone() {
        return lock.get(() -> state == State.GONE);
    }

    /**
     * Opens the event stream with {@code headers} (at least {@link ShimAnswer#STREAM_HEADERS}),
     * unless it is open already (heartbeats opened it) or over.
     */
    void open(List<Map.Entry<String, String>> headers) {
        State opened;
        lock.lock();
        try {
            if (state != State.IDLE) {
                return;
            }
            state = async == null && !listening ? State.BLOCKING : State.OPENING;
            opened = state;
        } finally {
            lock.unlock();
        }
        start(HttpServletResponse.SC_OK, headers, ShimAnswer.EVENT_STREAM, -1, 0, opened);
    }

    /**
     * Sends a heartbeat comment, opening the stream first if nothing was sent yet. Does nothing
     * without an async cycle, before {@link #listen}, or once the stream is written blocking or over.
     */
    void heartbeat() {
        boolean opening;
        lock.lock();
        try {
            if (async == null) {
                return;
            }
            opening = state == State.IDLE && listening;
            if (opening) {
                state = State.OPENING;
            }
            if (!queueing() || ending() || lastQueued) {
                return;
            }
            enqueue(ByteBuffer.wrap(SseFrames.heartbeat()));
        } finally {
            lock.unlock();
        }
        if (opening) {
            start(HttpServletResponse.SC_OK, ShimAnswer.STREAM_HEADERS, ShimAnswer.EVENT_STREAM, -1, 0, State.OPENING);
        } else {
            drain(false);
        }
    }

    /**
     * Sends {@code bytes} on the open stream: queued for non-blocking output, or written
     * blocking. Once the stream is over, or its last event was sent, they are dropped.
     *
     * @throws IOException only when writing blocking fails
     */
    void send(byte[] bytes) throws IOException {
        send(bytes, false);
    }

    /**
     * Sends {@code bytes} as {@link #send} does, ending with the stream's last event
     * ({@code [DONE]}, or an error event): from now on heartbeats and any other bytes are dropped,
     * and {@link #close} or {@link #answer} only ends the response.
     */
    void sendLast(byte[] bytes) throws IOException {
        send(bytes, true);
    }

    private void send(byte[] bytes, boolean last) throws IOException {
        ServletOutputStream blocking;
        lock.lock();
        try {
            boolean dropped = lastQueued;
            lastQueued |= last;
            if (bytes.length == 0 || dropped) {
                return;
            }
            if (queueing() && !ending()) {
                enqueue(ByteBuffer.wrap(bytes));
                blocking = null;
            } else if (state == State.BLOCKING) {
                blocking = out;
            } else {
                return;
            }
        } finally {
            lock.unlock();
        }
        if (blocking == null) {
            drain(false);
            return;
        }
        try {
            ShimLock.assertNoneHeld();
            blocking.write(bytes);
            blocking.flush();
        } catch (IOException | RuntimeException e) {
            lock.run(() -> state = State.GONE);
            throw e;
        }
    }

    /**
     * Sends {@code last} (unless the stream's last event was sent already) and ends the stream;
     * on a stream that is already over, ends the async cycle.
     */
    void close(byte[] last) {
        ServletOutputStream blocking = null;
        boolean over = false;
        byte[] rest;
        lock.lock();
        try {
            rest = lastQueued ? new byte[0] : last;
            switch (state) {
                case OPENING, OPEN -> {
                    if (!ending()) {
                        enqueue(ByteBuffer.wrap(rest));
                        queue.add(END);
                        changed.signalAll();
                    }
                }
                case BLOCKING -> {
                    blocking = out;
                    state = State.ENDED;
                }
                case IDLE, GONE -> {
                    state = State.GONE;
                    changed.signalAll();
                    over = true;
                }
                case ENDED -> {
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
        if (blocking != null) {
            try {
                ShimLock.assertNoneHeld();
                blocking.write(rest);
                blocking.flush();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "the client went away before the end of the stream", e);
            }
            complete();
        } else if (over) {
            complete();
        } else {
            drain(false);
        }
    }

    /**
     * Writes the client's whole answer and ends the response. Once the stream has started, the
     * answer goes as the rest of it ({@link ShimAnswer#asEvents()}); once the client is gone,
     * the async cycle just ends.
     */
    void answer(ShimAnswer answer) {
        answer(answer, false);
    }

    /**
     * Answers from within the container's {@code onTimeout}, where the cycle must end before the
     * callback returns: an answer not started yet is written blocking, then the cycle completes;
     * on a started stream the rest goes out {@linkplain #finishWithinCallback within the callback}.
     */
    void answerTimeout(ShimAnswer answer) {
        answer(answer, true);
    }

    /**
     * Within a container callback after which the container ends the response ({@code onTimeout}):
     * writes what is queued, up to the end, as the container's {@code onWritePossible} would (the
     * container holds that callback back until this one returns). Meanwhile it waits, at most
     * {@link #WRITER_WAIT_MILLIS} in all, while another thread still sets the stream's head, holds
     * the turn to write, has yet to queue the end, or has written it and not yet completed the
     * cycle. A client too slow to take it all now loses the rest.
     */
    void finishWithinCallback() {
        long left = TimeUnit.MILLISECONDS.toNanos(WRITER_WAIT_MILLIS);
        while (true) {
            boolean write;
            lock.lock();
            try {
                if ((state != State.IDLE && !queueing() && !completing) || left <= 0) {
                    return;
                }
                write = state == State.OPEN && listening && ending() && turn != Turn.TAKEN
                        && turn != Turn.TAKEN_CALLED_BACK;
                if (!write) {
                    left = changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            if (write) {
                drain(true);
                if (lock.get(() -> state == State.OPEN && turn == Turn.CONTAINER)) {
                    return; // Not ready: the client takes no more now.
                }
            }
        }
    }

    private void answer(ShimAnswer answer, boolean blockingIfIdle) {
        State opened = null;
        lock.lock();
        try {
            switch (state) {
                case IDLE -> {
                    if (!listening && (async == null || blockingIfIdle)) {
                        // Written whole by this thread below; nothing else may be written.
                        state = State.ENDED;
                        opened = State.BLOCKING;
                    } else {
                        state = State.OPENING;
                        opened = State.OPENING;
                        enqueue(ByteBuffer.wrap(answer.body(), 0, answer.length()));
                        queue.add(END);
                        changed.signalAll();
                    }
                }
                case OPENING, OPEN, BLOCKING -> {
                    // The stream has started: answered below as its rest.
                }
                case GONE -> {
                    // Ended below.
                }
                case ENDED -> {
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
        if (opened == State.OPENING) {
            start(answer.status(), answer.headers(), answer.contentType(), answer.stream() ? -1 : answer.length(),
                    answer.stream() && answer.length() <= WHOLE_ANSWER_BUFFER_MAX ? answer.length() : 0, opened);
            if (blockingIfIdle) {
                finishWithinCallback();
            }
        } else if (opened == State.BLOCKING) {
            start(answer.status(), answer.headers(), answer.contentType(), answer.stream() ? -1 : answer.length(), 0, opened);
            ServletOutputStream blocking = lock.get(() -> out);
            try {
                if (blocking != null) {
                    blocking.write(answer.body(), 0, answer.length());
                    blocking.flush();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "the client went away before the answer was written", e);
            }
            complete();
        } else if (lock.get(() -> state) == State.GONE) {
            complete();
        } else {
            close(answer.asEvents());
            if (blockingIfIdle) {
                finishWithinCallback();
            }
        }
    }

    /**
     * The container saw the client go (its {@code AsyncListener.onError}): nothing more is
     * written; the container ends the request. Returns once no other thread writes or sets the
     * head (waiting at most {@link #WRITER_WAIT_MILLIS}).
     */
    void clientWentAway() {
        stopForContainer(true);
    }

    /** The client is gone: nothing queued stays, every waiter wakes; returns the room task to run. Under the lock. */
    private Runnable becomeGone() {
        state = State.GONE;
        changed.signalAll();
        queue.clear();
        queuedBytes = 0;
        room.signalAll();
        return takeRoomTask();
    }

    /**
     * Whether fewer than {@link #HIGH_WATER_BYTES} wait for the client (or nothing can wait: the
     * stream is blocking or over); if not, {@code task} runs once the client has taken enough
     * (one task waits at a time; a later call replaces it).
     */
    boolean hasRoomOrLater(Runnable task) {
        return lock.get(() -> {
            if (hasRoom()) {
                return true;
            }
            whenRoom = task;
            return false;
        });
    }

    /** Blocks the calling thread until there is room; for senders that write blocking. */
    void awaitRoom() throws InterruptedIOException {
        lock.lock();
        try {
            while (!hasRoom()) {
                room.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the client to read");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onWritePossible() {
        drain(true);
    }

    @Override
    public void onError(Throwable failure) {
        failed(failure);
    }

    /**
     * Sets the head and opens the output: {@link State#BLOCKING} for this thread to write, or
     * {@link State#OPENING}, which becomes {@link State#OPEN} once the head is set, with the output
     * registered as non-blocking ({@link #listen}, done here unless it was already).
     *
     * @param holdBytes the length of a whole answer without a {@code Content-Length} that the
     *     output buffer is to hold until it is flushed (one write for head and body), or 0
     */
    private void start(int status, List<Map.Entry<String, String>> headers, String contentType, long length,
            int holdBytes, State opened) {
        ShimLock.assertNoneHeld();
        try {
            response.setStatus(status);
            if (holdBytes > 0) {
                // One byte more: a write that fills the buffer exactly is flushed at once.
                response.setBufferSize(Math.max(response.getBufferSize(), holdBytes + 1));
            }
            for (Map.Entry<String, String> header : headers) {
                response.addHeader(header.getKey(), header.getValue());
            }
            if (contentType != null) {
                response.setContentType(contentType);
            }
            if (length >= 0) {
                response.setContentLengthLong(length);
            }
            if (opened == State.BLOCKING) {
                ServletOutputStream output = response.getOutputStream();
                lock.run(() -> out = output);
                return;
            }
        } catch (IOException | RuntimeException e) {
            failed(e);
            return;
        }
        listen();
        lock.run(() -> {
            if (state == State.OPENING) {
                state = State.OPEN;
                changed.signalAll();
            }
        });
        drain(false);
    }

    /**
     * Makes the output non-blocking for the rest of the request, before anything is sent: sets
     * this as its write listener (once; later calls do nothing). Called only on a thread the
     * container runs the request on (its service, a dispatch, a container callback), never on a
     * timer's or the forwarder's own thread: there Tomcat runs its first {@code onWritePossible}
     * inline and waits for the connection's lock meanwhile, which a container thread that waits
     * for this stream may hold.
     */
    void listen() {
        lock.lock();
        try {
            if (listening || registering || state == State.ENDED || state == State.GONE) {
                return;
            }
            registering = true;
        } finally {
            lock.unlock();
        }
        ServletOutputStream output;
        try {
            ShimLock.assertNoneHeld();
            output = response.getOutputStream();
            lock.run(() -> out = output);
            output.setWriteListener(this);
        } catch (IOException | RuntimeException e) {
            lock.run(() -> registering = false);
            failed(e);
            return;
        }
        // From now on a sender may write when the container says it is ready (Jetty, at once);
        // until now only the container's first onWritePossible could.
        lock.run(() -> {
            if (turn == Turn.CONTAINER) {
                turn = Turn.FREE;
            }
            listening = true;
            registering = false;
            changed.signalAll();
        });
    }

    /**
     * The request's async cycle ends in a dispatch (the forwarder's, or the exchange's own): no
     * heartbeat is sent until a new cycle is given, and this returns once no other thread writes or
     * sets the head (waiting at most {@link #WRITER_WAIT_MILLIS}), so the container's dispatch
     * starts with the output at rest.
     */
    void leaveCycle() {
        lock.lock();
        try {
            async = null;
            awaitQuiet(true);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Within the dispatch that followed {@link #leaveCycle}: a callback the container owed may have
     * been dropped with the cycle (Tomcat drops the write listener at a dispatch, and writes
     * blocking from then on), so a sender may write again after asking {@code isReady()}, which
     * arms a new callback where one is still due.
     */
    void resumeInDispatch() {
        lock.run(() -> {
            if (listening && turn == Turn.CONTAINER) {
                turn = Turn.FREE;
            }
        });
        drain(false);
    }

    /**
     * The container ended the request ({@code AsyncListener.onComplete}): nothing more is written.
     * Returns once no other thread writes or sets the head (waiting at most
     * {@link #WRITER_WAIT_MILLIS}): the container recycles the response for another request next.
     */
    void containerEnded() {
        stopForContainer(false);
    }

    /** The container ends the request: nothing more is written; waits as {@link #awaitQuiet} does. */
    private void stopForContainer(boolean orCompletes) {
        Runnable task = null;
        lock.lock();
        try {
            containerEnding = true;
            if (state != State.ENDED && state != State.GONE) {
                task = becomeGone();
            }
            awaitQuiet(orCompletes);
        } finally {
            lock.unlock();
        }
        runIfAny(task);
    }

    /**
     * Waits, at most {@link #WRITER_WAIT_MILLIS}, while another thread writes, sets the head, or
     * ({@code orCompletes}) calls {@code complete()}. Under the lock.
     */
    private void awaitQuiet(boolean orCompletes) {
        long left = TimeUnit.MILLISECONDS.toNanos(WRITER_WAIT_MILLIS);
        try {
            while ((turn == Turn.TAKEN || turn == Turn.TAKEN_CALLED_BACK || state == State.OPENING || registering
                    || orCompletes && completing) && left > 0) {
                left = changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes what is queued while the client takes it: the one writer at a time. A sender
     * ({@code callback} false) writes only when nobody writes and no callback is owed.
     */
    private void drain(boolean callback) {
        ServletOutputStream output;
        lock.lock();
        try {
            if (turn == Turn.TAKEN || turn == Turn.TAKEN_CALLED_BACK) {
                if (callback) {
                    turn = Turn.TAKEN_CALLED_BACK;
                }
                return;
            }
            if (callback && turn == Turn.CONTAINER) {
                turn = Turn.FREE; // The callback owed came; if nothing can be written now, a sender may write later.
            }
            if (turn != Turn.FREE || state != State.OPEN || out == null) {
                return;
            }
            turn = Turn.TAKEN;
            output = out;
        } finally {
            lock.unlock();
        }
        Runnable task = null;
        boolean completeNow = false;
        try {
            while (true) {
                ByteBuffer next;
                boolean endNext;
                lock.lock();
                try {
                    if (state != State.OPEN) {
                        giveUpTurn(Turn.FREE);
                        break;
                    }
                    ByteBuffer first = queue.peek();
                    next = flushDue ? null : first;
                    endNext = first == END;
                    if (!flushDue && next == null) {
                        giveUpTurn(Turn.FREE);
                        task = takeRoomTask();
                        break;
                    }
                } finally {
                    lock.unlock();
                }
                ShimLock.assertNoneHeld();
                if (!output.isReady()) {
                    boolean again = lock.get(() -> {
                        if (turn == Turn.TAKEN_CALLED_BACK) {
                            turn = Turn.TAKEN;
                            return true;
                        }
                        giveUpTurn(Turn.CONTAINER);
                        return false;
                    });
                    if (again) {
                        continue;
                    }
                    break;
                }
                if (next == null) {
                    if (endNext) {
                        // The last bytes and the response's end leave in one write, committed by this call.
                        output.close();
                    } else {
                        output.flush();
                    }
                    lock.run(() -> flushDue = false);
                } else if (next == END) {
                    lock.run(() -> {
                        queue.poll();
                        state = State.ENDED;
                        completing = true;
                        giveUpTurn(Turn.FREE);
                        room.signalAll();
                    });
                    completeNow = true;
                    break;
                } else {
                    output.write(next.array(), next.arrayOffset() + next.position(), next.remaining());
                    lock.run(() -> {
                        queue.poll();
                        queuedBytes -= next.remaining();
                        flushDue = true;
                        if (hasRoom()) {
                            room.signalAll();
                        }
                    });
                }
            }
        } catch (IOException | RuntimeException e) {
            lock.run(() -> giveUpTurn(Turn.FREE));
            failed(e);
            return;
        }
        if (completeNow) {
            complete();
        }
        runIfAny(task);
    }

    /** Writing failed: the client is gone. Nothing more is written, the forwarder hears of it, the cycle ends. */
    private void failed(Throwable failure) {
        Runnable task;
        lock.lock();
        try {
            if (state == State.GONE || state == State.ENDED) {
                return;
            }
            task = becomeGone();
            completing = true;
        } finally {
            lock.unlock();
        }
        LOG.log(System.Logger.Level.DEBUG, "writing to the client failed", failure);

        runIfAny(task);
        clientGone.accept(failure);
        complete();
    }

    /** A writer gives up its turn to {@code next}. Under the lock. */
    private void giveUpTurn(Turn next) {
        turn = next;
        changed.signalAll();
    }

    /** Whether bytes sent now are queued for non-blocking output. Under the lock. */
    private boolean queueing() {
        return state == State.OPENING || state == State.OPEN;
    }

    /** Whether the end is queued: nothing more may be. Under the lock. */
    private boolean ending() {
        return queue.peekLast() == END;
    }

    private void enqueue(ByteBuffer bytes) {
        queue.add(bytes);
        queuedBytes += bytes.remaining();
    }

    /** Under the lock. */
    private boolean hasRoom() {
        return !queueing() || queuedBytes < HIGH_WATER_BYTES;
    }

    /** The task waiting for room if there is room now, to run outside the lock. */
    private Runnable takeRoomTask() {
        if (!hasRoom()) {
            return null;
        }
        Runnable task = whenRoom;
        whenRoom = null;
        return task;
    }

    private static void runIfAny(Runnable task) {
        if (task != null) {
            ShimLock.assertNoneHeld();
            task.run();
        }
    }

    /**
     * Ends the async cycle with {@code complete()}, once per request, and only while the container
     * has not begun to end it itself ({@link #clientWentAway}, {@link #containerEnded}): a late
     * {@code complete()} could reach the next request the container serves with the same objects.
     */
    private void complete() {
        AsyncContext cycle = lock.get(() -> {
            if (completeClaimed || containerEnding || async == null) {
                completing = false;
                changed.signalAll();
                return null;
            }
            completeClaimed = true;
            completing = true;
            return async;
        });
        if (cycle == null) {
            return;
        }
        ShimLock.assertNoneHeld();
        try {
            cycle.complete();
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "request already completed", e);
        } finally {
            lock.run(() -> {
                completing = false;
                changed.signalAll();
            });
        }
    }
}
