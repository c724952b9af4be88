package dev.llamashim.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples this JVM every 100 ms during a run: its live threads, the threads of the proxy under test
 * (its pool, which also runs the proxy's HTTP client, found by name) and the used heap, keeping the peaks.
 * The harness runs client, proxy and fake upstream in one JVM, so threads and heap are those of all three.
 */
final class ServerSampler implements AutoCloseable {

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "sampler");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Peaks peaks = new Peaks();
    private volatile String proxyThreads = "";

    ServerSampler() {
        timer.scheduleAtFixedRate(this::sample, 0, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * Returns the peaks seen so far and starts over, counting from now on the threads whose names
     * start with {@code proxyThreadPrefix} as the proxy's ({@code ""} for none).
     */
    Peaks reset(String proxyThreadPrefix) {
        Peaks seen = peaks;
        proxyThreads = proxyThreadPrefix;
        peaks = new Peaks();
        return seen;
    }

    private void sample() {
        Peaks current = peaks;
        current.jvmThreads = Math.max(current.jvmThreads, threads.getThreadCount());
        String prefix = proxyThreads;
        int proxy = 0;
        if (!prefix.isEmpty()) {
            for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
                if (info != null && info.getThreadName().startsWith(prefix)) {
                    proxy++;
                }
            }
        }
        current.proxyThreads = Math.max(current.proxyThreads, proxy);
        current.heapBytes = Math.max(current.heapBytes, memory.getHeapMemoryUsage().getUsed());
    }

    /**
     * CPU time so far of the live threads whose names start with {@code prefix}: the proxy's pool
     * and its timer. Pool threads outlive a run (60 s idle timeout), so the difference over a run is
     * what the proxy spent in it.
     */
    long cpuNanos(String prefix) {
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
            if (info != null && info.getThreadName().startsWith(prefix)) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** The highest values sampled since the last reset. */
    static final class Peaks {
        volatile int jvmThreads;
        volatile int proxyThreads;
        volatile long heapBytes;
    }
}
