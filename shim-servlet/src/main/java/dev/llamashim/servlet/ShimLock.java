package dev.llamashim.servlet;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The one lock of an object of the exchange. It guards that object's fields and nothing else:
 * whoever holds it decides, releases it, and only then acts. {@link #assertNoneHeld()} checks
 * the rule where it matters: right before every call into the container or into the forwarding
 * servlet, the calling thread holds no {@code ShimLock} at all (with {@code -ea}, as in tests).
 */
final class ShimLock {

    /** Whether locks are counted: only with assertions on, so the request path pays nothing otherwise. */
    private static final boolean COUNTED = ShimLock.class.desiredAssertionStatus();
    /** How many {@code ShimLock}s the current thread holds, counting re-entries (when {@link #COUNTED}). */
    private static final ThreadLocal<int[]> HELD = ThreadLocal.withInitial(() -> new int[1]);

    private final ReentrantLock lock = new ReentrantLock();

    void lock() {
        lock.lock();
        if (COUNTED) {
            HELD.get()[0]++;
        }
    }

    void unlock() {
        if (COUNTED) {
            HELD.get()[0]--;
        }
        lock.unlock();
    }

    /** A condition to wait on while holding this lock (waiting releases it). */
    Condition newCondition() {
        return lock.newCondition();
    }

    /** Runs {@code read} holding this lock and returns what it returns. */
    <T> T get(Supplier<T> read) {
        lock();
        try {
            return read.get();
        } finally {
            unlock();
        }
    }

    /** Runs {@code change} holding this lock. */
    void run(Runnable change) {
        lock();
        try {
            change.run();
        } finally {
            unlock();
        }
    }

    /** Whether the current thread holds no {@code ShimLock}; for {@code assert} before container calls. */
    private static boolean noneHeld() {
        return HELD.get()[0] == 0;
    }

    /** Fails (when assertions are on) if the current thread holds any {@code ShimLock}. */
    static void assertNoneHeld() {
        assert noneHeld() : "a llamashim lock is held across a call into the container or the forwarding servlet";
    }
}
