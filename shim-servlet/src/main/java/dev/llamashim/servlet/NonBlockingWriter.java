package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Writes byte runs to the client in order with non-blocking output, each flushed so it leaves at
 * once, and completes the request's async context after the last. No thread waits for a slow
 * client: the container calls back when it can take more. Any thread may send; the container's
 * callbacks and the senders take turns on this object's lock. A sender that produces without end
 * (a repaired stream) asks for {@linkplain #hasRoom() room} first, so a slow client holds back
 * the model server instead of filling the memory.
 */
final class NonBlockingWriter implements WriteListener {

    private static final System.Logger LOG = System.getLogger(NonBlockingWriter.class.getName());
    /** Bytes waiting for the client above which {@link #hasRoom()} says no. */
    static final int HIGH_WATER_BYTES = 64 * 1024;

    private AsyncContext async;
    private final ServletOutputStream out;
    private final Consumer<Throwable> onFailure;
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private boolean needsFlush;
    private boolean closing;
    private boolean completed;
    private boolean failed;
    private long queuedBytes;
    private Runnable whenRoom;

    private NonBlockingWriter(AsyncContext async, ServletOutputStream out, Consumer<Throwable> onFailure) {
        this.async = async;
        this.out = out;
        this.onFailure = onFailure;
    }

    /**
     * Takes over the response's body (status and headers already set); {@code onFailure} hears
     * once if a write fails, which almost always means the client went away.
     */
    static NonBlockingWriter open(AsyncContext async, HttpServletResponse response, Consumer<Throwable> onFailure)
            throws IOException {
        NonBlockingWriter writer = new NonBlockingWriter(async, response.getOutputStream(), onFailure);
        writer.out.setWriteListener(writer);
        return writer;
    }

    /** Completes {@code fresh} instead when done: the request's earlier async cycle ended in a dispatch. */
    synchronized void continueOn(AsyncContext fresh) {
        async = fresh;
    }

    /** Queues {@code bytes} and writes what the connection takes now. */
    void send(byte[] bytes) {
        Runnable roomTask;
        synchronized (this) {
            if (failed || closing) {
                return;
            }
            enqueue(ByteBuffer.wrap(bytes));
            roomTask = pump();
        }
        runIfAny(roomTask);
    }

    /** Queues the last {@code length} bytes of {@code bytes} from {@code offset}; completes once all is written. */
    void close(byte[] bytes, int offset, int length) {
        Runnable roomTask;
        synchronized (this) {
            if (failed || closing) {
                return;
            }
            enqueue(ByteBuffer.wrap(bytes, offset, length));
            closing = true;
            roomTask = pump();
        }
        runIfAny(roomTask);
    }

    /** Whether fewer than {@link #HIGH_WATER_BYTES} wait for the client (or writing failed: nothing waits). */
    synchronized boolean hasRoom() {
        return failed || queuedBytes < HIGH_WATER_BYTES;
    }

    /**
     * Whether there is room now; if not, {@code task} runs once the client has taken enough (one
     * task waits at a time; a later call replaces it).
     */
    synchronized boolean hasRoomOrLater(Runnable task) {
        if (hasRoom()) {
            return true;
        }
        whenRoom = task;
        return false;
    }

    /** Blocks the calling thread until there is room; for senders that write blocking. */
    synchronized void awaitRoom() throws InterruptedIOException {
        while (!hasRoom()) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the client to read");
            }
        }
    }

    @Override
    public void onWritePossible() {
        Runnable roomTask;
        synchronized (this) {
            roomTask = pump();
        }
        runIfAny(roomTask);
    }

    private void enqueue(ByteBuffer bytes) {
        queue.add(bytes);
        queuedBytes += bytes.remaining();
    }

    /**
     * Writes and flushes while the connection is ready; otherwise the container calls back.
     * Returns the task waiting for room if there is room now, to be run outside the lock.
     */
    private Runnable pump() {
        try {
            while (!failed && out.isReady()) {
                if (needsFlush) {
                    needsFlush = false;
                    if (!closing || !queue.isEmpty()) {
                        out.flush();
                        continue;
                    }
                    // The last bytes: complete() below sends them with the end of the response, in
                    // one write instead of a flush and then the terminating chunk.
                }
                ByteBuffer next = queue.poll();
                if (next == null) {
                    if (closing && !completed) {
                        completed = true;
                        async.complete();
                    }
                    break;
                }
                queuedBytes -= next.remaining();
                out.write(next.array(), next.arrayOffset() + next.position(), next.remaining());
                needsFlush = true;
            }
        } catch (IOException e) {
            onError(e);
        }
        return takeRoomTask();
    }

    private Runnable takeRoomTask() {
        if (!hasRoom()) {
            return null;
        }
        notifyAll();
        Runnable task = whenRoom;
        whenRoom = null;
        return task;
    }

    private static void runIfAny(Runnable task) {
        if (task != null) {
            task.run();
        }
    }

    @Override
    public void onError(Throwable failure) {
        AsyncContext context;
        Runnable roomTask;
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            queue.clear();
            queuedBytes = 0;
            context = async;
            roomTask = takeRoomTask();
        }
        runIfAny(roomTask);
        LOG.log(System.Logger.Level.DEBUG, "writing to the client failed", failure);
        onFailure.accept(failure);
        completeQuietly(context);
    }

    /** Completes {@code async} unless the container already ended the request (client gone, timeout). */
    static void completeQuietly(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "request already completed", e);
        }
    }
}
