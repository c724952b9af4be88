package dev.llamashim.jetty;

import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.CyclicTimeouts;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Starts the hang-up watches whose request still waits for the model server {@link #DELAY_NANOS}
 * after its body was read, all on one timer. Watching a connection costs a round trip through
 * Jetty's selector (a wake-up and a change of the socket's interest, then another once the answer
 * comes); most requests a fast upstream answers never need it. Watches begin together, on a grid of
 * {@link #STEP_NANOS}: one wake-up of the timer and of the selector serves all requests that arrived
 * within a step, rather than one each.
 */
final class HangUpWatchTimer extends CyclicTimeouts<ClientHangUpWatch> {

    /**
     * How long a request waits before its connection is watched: a client that hangs up within it
     * is noticed when it ends, so well within a second (issue 8's bound) of the hang-up.
     */
    static final long DELAY_NANOS = 100_000_000L;

    /** The grid watches begin on: a watch begins at most this much later than {@link #DELAY_NANOS}. */
    static final long STEP_NANOS = 20_000_000L;

    private final Set<ClientHangUpWatch> pending = ConcurrentHashMap.newKeySet();

    HangUpWatchTimer(Scheduler scheduler) {
        super(scheduler);
    }

    /** When a watch started at {@code nanoTime} begins: {@link #DELAY_NANOS} later, rounded up to the grid of {@link #STEP_NANOS}. */
    static long beginNanoTime(long nanoTime) {
        long begin = nanoTime + DELAY_NANOS;
        return begin + STEP_NANOS - Math.floorMod(begin, STEP_NANOS);
    }

    /** Starts {@code watch} once its {@link ClientHangUpWatch#getExpireNanoTime()} has come, unless it is {@link #cancel cancelled} first. */
    void startLater(ClientHangUpWatch watch) {
        pending.add(watch);
        schedule(watch);
    }

    /** Forgets {@code watch}; safe to call for one never scheduled, or already started. */
    void cancel(ClientHangUpWatch watch) {
        pending.remove(watch);
    }

    @Override
    protected Iterator<ClientHangUpWatch> iterator() {
        return pending.iterator();
    }

    @Override
    protected boolean onExpired(ClientHangUpWatch watch) {
        watch.begin();
        return true;
    }
}
