package dev.llamashim.servlet;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Which model servers refused to stream tool calls, so that {@code auto} mode asks them for one
 * JSON answer straight away instead of being refused again. A model server is known by the chat
 * path and the {@code model} a request names (a gateway may route either way). The memory is
 * bounded: the least recently used entry goes first, and each is forgotten after a while, so an
 * upgraded server gets its native stream back.
 */
final class RefusalMemory {

    /** How many model servers are remembered at most. */
    static final int CAPACITY = 1024;
    /** How long a refusal is remembered. */
    static final Duration LIFETIME = Duration.ofHours(1);

    private final LongSupplier nanoClock;
    private final Map<String, Long> refusedAt = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > CAPACITY;
        }
    };

    RefusalMemory(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Remembers that the server behind {@code path} and {@code model} refused to stream. */
    synchronized void remember(String path, String model) {
        refusedAt.put(key(path, model), nanoClock.getAsLong());
    }

    /** Whether the server behind {@code path} and {@code model} refused to stream within {@link #LIFETIME}. */
    synchronized boolean refused(String path, String model) {
        String key = key(path, model);
        Long at = refusedAt.get(key);
        if (at == null) {
            return false;
        }
        if (nanoClock.getAsLong() - at > LIFETIME.toNanos()) {
            refusedAt.remove(key);
            return false;
        }
        return true;
    }

    synchronized int size() {
        return refusedAt.size();
    }

    private static String key(String path, String model) {
        return path + '\n' + model;
    }
}
