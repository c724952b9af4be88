package dev.llamashim.jetty;

import jakarta.servlet.ServletRequest;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.CyclicTimeouts;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.NanoTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that closes its connection while its request waits for the model server, the
 * moment it does, so the model's request can be aborted then rather than at the next write.
 *
 * <p>Jetty's HTTP/1.1 connection stops reading once a request's body is in, until the response is
 * complete, so a hang-up goes unseen until something is written. While the request waits with its
 * body read, this watch asks Jetty's selector to report the socket readable. A client that is
 * waiting sends nothing, so readable with no bytes to read means end of stream or a reset: the
 * client is gone (once confirmed, see {@link #succeeded()}). Readable with bytes is a pipelined
 * next request: they are left unread, for the connection, and the watch ends. Like nginx by default, a client that only half-closes (shuts
 * down its sending side and still waits) counts as gone.
 *
 * <p>A watch {@link #start() started} begins watching only once its request has waited
 * {@link HangUpWatchTimer#DELAY_NANOS} more, up to {@link HangUpWatchTimer#STEP_NANOS} after that
 * (see {@link HangUpWatchTimer}); a hang-up before then is noticed as soon as it begins.
 *
 * <p>The watch must end ({@link #stop()}) before the response completes: the connection then
 * registers its own read interest, and the socket has room for one. A client that is gone has its
 * connection closed here, so nothing more is written to it.
 */
final class ClientHangUpWatch implements Callback, CyclicTimeouts.Expirable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientHangUpWatch.class);
    private static final Throwable STOPPED = new StoppedException();

    private final SocketChannelEndPoint endPoint;
    private final Runnable onHangUp;
    private final HangUpWatchTimer timer;
    private State state = State.NEW;
    private boolean nothingSeenOnce;
    /** When it is to begin watching; written before it is handed to the timer. */
    private volatile long beginNanoTime = Long.MAX_VALUE;

    private enum State { NEW, PENDING, WATCHING, DONE }

    private ClientHangUpWatch(SocketChannelEndPoint endPoint, HangUpWatchTimer timer, Runnable onHangUp) {
        this.endPoint = endPoint;
        this.timer = timer;
        this.onHangUp = onHangUp;
    }

    /**
     * A watch, not started yet, on the connection of {@code request}; {@code onHangUp} will run once,
     * on a pool thread, if the client goes away while it watches. It never watches a connection
     * that is not a plain socket.
     */
    static ClientHangUpWatch of(ServletRequest request, HangUpWatchTimer timer, Runnable onHangUp) {
        EndPoint endPoint = ServletContextRequest.getServletContextRequest(request)
                .getConnectionMetaData().getConnection().getEndPoint();
        return new ClientHangUpWatch(endPoint instanceof SocketChannelEndPoint socket ? socket : null, timer, onHangUp);
    }

    /**
     * Starts the watch, which begins watching {@link HangUpWatchTimer#beginNanoTime a little over
     * DELAY_NANOS} later; call it once the request's body has been read to its end. Does nothing
     * after {@link #stop()}.
     */
    void start() {
        synchronized (this) {
            if (state != State.NEW || endPoint == null) {
                state = State.DONE;
                return;
            }
            state = State.PENDING;
            beginNanoTime = HangUpWatchTimer.beginNanoTime(NanoTime.now());
        }
        timer.startLater(this);
    }

    /** When the timer is to {@link #begin()} it. */
    @Override
    public long getExpireNanoTime() {
        return beginNanoTime;
    }

    /**
     * Begins watching, unless the watch was stopped meanwhile or someone else already waits to
     * read the connection; called by the {@link HangUpWatchTimer}.
     */
    synchronized void begin() {
        if (state != State.PENDING) {
            return;
        }
        state = State.WATCHING;
        if (!endPoint.tryFillInterested(this)) {
            state = State.DONE;
        }
    }

    /** Ends the watch, or prevents it, giving the socket's read interest back; safe to call more than once. */
    void stop() {
        State was;
        synchronized (this) {
            was = state;
            state = State.DONE;
            if (was == State.WATCHING) {
                // Only this watch's interest can be registered while it watches: the connection reads
                // again only after the response completes, and the response waits for this stop.
                ((AbstractEndPoint) endPoint).getFillInterest().onFail(STOPPED);
            }
        }
        if (was == State.PENDING) {
            timer.cancel(this);
        }
    }

    /**
     * The socket was reported readable: bytes (a pipelined request, left alone) or its end (the
     * client is gone). Jetty's report is a hint, not a promise (once in a few thousand requests
     * under load it came with nothing to read and the client still there), so an end is believed
     * only when the socket is reported readable twice in a row with nothing to read (a socket at
     * its end stays readable and is reported again at once, an idle one is not) and a read then
     * finds the end of the stream. Should that read find bytes after all (a pipelined request
     * arriving in between), they are lost to the connection, which then answers the rest of that
     * request as malformed (400).
     */
    @Override
    public void succeeded() {
        synchronized (this) {
            if (state != State.WATCHING) {
                return;
            }
            if (pending() > 0) {
                state = State.DONE;
                return;
            }
            int read = nothingSeenOnce ? readOneByte() : 0;
            if (read > 0) {
                LOG.debug("a pipelined request arrived while checking for a hang-up; its first byte was read");
                state = State.DONE;
                return;
            }
            if (read == 0) {
                nothingSeenOnce = true;
                if (!endPoint.tryFillInterested(this)) {
                    state = State.DONE;
                }
                return;
            }
            state = State.DONE;
        }
        endPoint.close();
        onHangUp.run();
    }

    /** 1 when a byte was there (and is now read), 0 when nothing was, -1 at the end of the stream or on an error. */
    private int readOneByte() {
        try {
            // Jetty fills a buffer in its flush mode: an empty one has limit 0.
            return endPoint.fill(BufferUtil.allocate(1));
        } catch (IOException e) {
            return -1;
        }
    }

    /** What can be read without reading it: 0 on a readable socket means end of stream or an error. */
    private int pending() {
        try {
            return ((SocketChannel) endPoint.getChannel()).socket().getInputStream().available();
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void failed(Throwable failure) {
        // Stopped, or the connection closed or idled out: Jetty handles the latter two itself.
        if (failure != STOPPED) {
            LOG.debug("watching the client connection ended", failure);
        }
        synchronized (this) {
            state = State.DONE;
        }
    }

    /** Marks a watch ended on purpose; no stack trace, as it is never thrown. */
    private static final class StoppedException extends Exception {
        private static final long serialVersionUID = 1L;

        StoppedException() {
            super("watch stopped", null, false, false);
        }
    }
}
