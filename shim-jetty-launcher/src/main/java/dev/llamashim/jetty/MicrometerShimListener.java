package dev.llamashim.jetty;

import dev.llamashim.servlet.PathClass;
import dev.llamashim.servlet.ShimListener;
import dev.llamashim.servlet.ShimOutcome;
import dev.llamashim.servlet.ShimRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts what the filter and the proxy do in a Micrometer registry, under names that start with
 * {@code llamashim.} (in Prometheus: {@code llamashim_requests_total},
 * {@code llamashim_upstream_first_byte_seconds}, …; the README lists them all).
 */
final class MicrometerShimListener implements ShimListener, UpstreamObserver {

    /** Label value of {@code error} for requests llamashim did not answer with an error of its own. */
    static final String NO_ERROR = "none";

    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter hangUps;
    private final Timer upstreamFirstByte;
    private final Timer upstreamTotal;
    /**
     * The {@code llamashim.requests} counters met so far: building a counter's id (its tags sorted)
     * and looking it up in the registry, for every request, cost more than the increment.
     */
    private final Map<RequestsKey, Counter> requests = new ConcurrentHashMap<>();

    MicrometerShimListener(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("llamashim.requests.in.flight", inFlight);
        hangUps = Counter.builder("llamashim.client.hangups")
                .description("Requests whose client went away before its answer was complete")
                .register(registry);
        upstreamFirstByte = Timer.builder("llamashim.upstream.first.byte")
                .description("From sending a request to the model server to its answer's status and headers")
                .publishPercentileHistogram()
                .register(registry);
        upstreamTotal = Timer.builder("llamashim.upstream")
                .description("From sending a request to the model server to the end of its answer")
                .publishPercentileHistogram()
                .register(registry);
    }

    @Override
    public void requestStarted(PathClass pathClass) {
        inFlight.incrementAndGet();
    }

    @Override
    public void requestEnded(ShimRecord record) {
        inFlight.decrementAndGet();
        requests.computeIfAbsent(new RequestsKey(record.pathClass(), record.outcome(), record.errorCode()), this::requestsCounter)
                .increment();
        count("llamashim.repairs", "Defects mended in model server answers, by kind", "defect", record.repairs().mended());
        count("llamashim.text.tool.calls", "Tool calls written as text that were turned into real ones, by markup format",
                "format", record.repairs().extracted());
        if (record.retryReason() != null) {
            Counter.builder(record.retried() ? "llamashim.retries" : "llamashim.retries.declined")
                    .description(record.retried()
                            ? "Stream requests asked again with stream:false in mode auto, by reason"
                            : "Answers to stream requests that were not a stream, that mode auto did not ask again for, by reason")
                    .tag("reason", record.retryReason())
                    .register(registry)
                    .increment();
        }
        if (record.clientGone()) {
            hangUps.increment();
        }
    }

    @Override
    public void exchangeEnded(Duration firstByte, Duration total) {
        if (firstByte != null) {
            upstreamFirstByte.record(firstByte);
        }
        upstreamTotal.record(total);
    }

    private Counter requestsCounter(RequestsKey key) {
        return Counter.builder("llamashim.requests")
                .description("Requests by path class and what llamashim did with them")
                .tag("path_class", key.pathClass().label())
                .tag("outcome", key.outcome().label())
                .tag("error", key.errorCode() == null ? NO_ERROR : key.errorCode())
                .register(registry);
    }

    /** The labels of one {@code llamashim.requests} counter. */
    private record RequestsKey(PathClass pathClass, ShimOutcome outcome, String errorCode) {}

    private void count(String name, String description, String tag, Map<String, Integer> counts) {
        counts.forEach((kind, count) -> Counter.builder(name).description(description).tag(tag, kind)
                .register(registry).increment(count));
    }
}
