package dev.llamashim.bench;

import dev.llamashim.core.SseFrames;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;

/**
 * One closed-loop run: {@code concurrency} virtual clients, each sending its next request as soon as
 * it has read the last answer to its end. Requests that complete in the measured window (after the
 * ramp-up) count for throughput and latency; failures and wrong answers count as errors at any time.
 */
final class LoadRun {

    private static final byte[] DONE = SseFrames.done();
    private static final int MAX_SAMPLES = 4_000_000;

    /**
     * What one run measured.
     *
     * @param requests answers complete and correct in the window
     * @param seconds the window's length
     * @param errors failed or wrong answers during the whole run
     * @param latenciesNanos the window's latencies, sorted
     */
    record Outcome(long requests, double seconds, long errors, long[] latenciesNanos) {
        double throughput() {
            return requests / seconds;
        }

        double percentileMillis(double p) {
            if (latenciesNanos.length == 0) {
                return Double.NaN;
            }
            int at = (int) Math.ceil(p * latenciesNanos.length) - 1;
            return latenciesNanos[Math.max(0, at)] / 1e6;
        }
    }

    private final HttpClient client;
    private final URI uri;
    private final byte[] body;
    private final boolean expectStream;
    private final int expectedJsonLength;
    private final long[] latencies = new long[MAX_SAMPLES];
    private final AtomicInteger samples = new AtomicInteger();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger();
    private final CountDownLatch finished = new CountDownLatch(1);
    private long measureFrom;
    private long measureTo;

    /**
     * @param expectStream whether a correct answer is an event stream ending in {@code [DONE]} (else
     *     the upstream's JSON, {@code expectedJsonLength} bytes)
     */
    LoadRun(HttpClient client, URI uri, byte[] body, boolean expectStream, int expectedJsonLength) {
        this.client = client;
        this.uri = uri;
        this.body = body;
        this.expectStream = expectStream;
        this.expectedJsonLength = expectedJsonLength;
    }

    /** Runs for {@code rampUp + window} and waits for the answers still in flight. */
    Outcome run(int concurrency, Duration rampUp, Duration window) throws InterruptedException {
        long start = System.nanoTime();
        measureFrom = start + rampUp.toNanos();
        measureTo = measureFrom + window.toNanos();
        running.set(concurrency);
        for (int i = 0; i < concurrency; i++) {
            send();
        }
        if (!finished.await(rampUp.plus(window).toSeconds() + 120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(running.get() + " requests still in flight two minutes after the run");
        }
        long[] sorted = Arrays.copyOf(latencies, Math.min(samples.get(), MAX_SAMPLES));
        Arrays.sort(sorted);
        return new Outcome(sorted.length, window.toNanos() / 1e9, errors.get(), sorted);
    }

    private void send() {
        long sent = System.nanoTime();
        if (sent >= measureTo) {
            if (running.decrementAndGet() == 0) {
                finished.countDown();
            }
            return;
        }
        client.newRequest(uri)
                .method(HttpMethod.POST)
                .body(new BytesRequestContent("application/json", body))
                .timeout(60, TimeUnit.SECONDS)
                .send(new BufferingResponseListener(4 * 1024 * 1024) {
                    @Override
                    public void onComplete(Result result) {
                        long done = System.nanoTime();
                        if (correct(result, getContent())) {
                            if (done >= measureFrom && done < measureTo) {
                                int at = samples.getAndIncrement();
                                if (at < MAX_SAMPLES) {
                                    latencies[at] = done - sent;
                                }
                            }
                        } else {
                            errors.incrementAndGet();
                        }
                        send();
                    }
                });
    }

    private boolean correct(Result result, byte[] content) {
        if (result.isFailed() || result.getResponse().getStatus() != 200) {
            return false;
        }
        if (!expectStream) {
            return content.length == expectedJsonLength;
        }
        return content.length >= DONE.length
                && Arrays.equals(content, content.length - DONE.length, content.length, DONE, 0, DONE.length);
    }
}
