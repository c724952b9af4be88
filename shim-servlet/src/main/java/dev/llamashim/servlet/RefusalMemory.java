package dev.llamashim.servlet;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What mode {@code auto} learned about model servers: which refused to stream tool calls (so they
 * are asked for one JSON answer straight away instead of being refused again), and which gave a
 * refusal-like error to a {@code stream:false} request too (so that status is not taken for a
 * refusal again and the server is not asked twice while it fails). A model server is known by the
 * chat path and the {@code model} a request names (a gateway may route either way). Each memory
 * is bounded: the least recently used entry goes first, and each entry is forgotten after a while,
 * so an upgraded or repaired server is judged afresh.
 */
final class RefusalMemory {

    /** How many entries each memory holds at most. */
    static final int CAPACITY = 1024;
    /** How long a refusal is remembered. */
    static final Duration LIFETIME = Duration.ofHours(1);
    /** How long a status is remembered as no refusal. */
    static final Duration NOT_A_REFUSAL_LIFETIME = Duration.ofMinutes(10);

    private final LongSupplier nanoClock;
    private final Map<String, Long> refusedAt = lruMap();
    private final Map<String, Long> notARefusalAt = lruMap();

    RefusalMemory(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Remembers that the server behind {@code path} and {@code model} refused to stream. */
    synchronized void remember(String path, String model) {
        refusedAt.put(key(path, model), nanoClock.getAsLong());
    }

    /** Whether the server behind {@code path} and {@code model} refused to stream within {@link #LIFETIME}. */
    synchronized boolean refused(String path, String model) {
        return within(refusedAt, key(path, model), LIFETIME);
    }

    /** Remembers that {@code status} from the server behind {@code path} and {@code model} is no refusal to stream. */
    synchronized void rememberNotARefusal(String path, String model, int status) {
        notARefusalAt.put(key(path, model) + '\n' + status, nanoClock.getAsLong());
    }

    /** Whether {@code status} from that server was found to be no refusal within {@link #NOT_A_REFUSAL_LIFETIME}. */
    synchronized boolean knownNotARefusal(String path, String model, int status) {
        return within(notARefusalAt, key(path, model) + '\n' + status, NOT_A_REFUSAL_LIFETIME);
    }

    /** Entries held, both memories together. */
    synchronized int size() {
        return refusedAt.size() + notARefusalAt.size();
    }

    /** Whether {@code key} was put in {@code memory} at most {@code lifetime} ago; forgets it if longer. */
    private boolean within(Map<String, Long> memory, String key, Duration lifetime) {
        Long at = memory.get(key);
        if (at == null) {
            return false;
        }
        if (nanoClock.getAsLong() - at > lifetime.toNanos()) {
            memory.remove(key);
            return false;
        }
        return true;
    }

    private static Map<String, Long> lruMap() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > CAPACITY;
            }
        };
    }

    private static String key(String path, String model) {
        return path + '\n' + model;
    }
}
