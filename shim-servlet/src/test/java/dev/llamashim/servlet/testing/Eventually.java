package dev.llamashim.servlet.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for something that happens on another thread (a log line, a closed connection). */
public final class Eventually {

    private Eventually() {}

    /** Polls {@code condition} every 20 ms until it holds; fails with {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }
}
