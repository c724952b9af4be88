package dev.llamashim.servlet.testing;

import jakarta.servlet.http.HttpServlet;
import java.util.Map;
import java.util.function.Function;

/** The servlet behind the filter in a test: one that answers itself, or a proxy to a fake llama-server. */
public enum Downstream {
    /** Answers on the request thread. */
    SYNC,
    /** Answers later from another thread via {@code startAsync()} / {@code complete()}. */
    ASYNC,
    /** Waits via {@code startAsync()}, then answers in the dispatch it asks for with {@code AsyncContext.dispatch()}. */
    DISPATCH,
    /** Jetty's {@code AsyncProxyServlet} forwarding to a {@link FakeLlamaServer}. */
    PROXY;

    /** Every container kind with every downstream, as JUnit arguments {@code (kind, downstream)}. */
    public static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> everyCombination() {
        return java.util.stream.Stream.of(ServletContainer.Kind.values()).flatMap(kind -> java.util.stream.Stream.of(values())
                .map(downstream -> org.junit.jupiter.params.provider.Arguments.of(kind, downstream)));
    }

    /** A started setup: container, filter and downstream; the fake server exists for {@link #PROXY} only. */
    public record Setup(ServletContainer container, ReplayServlet replay, FakeLlamaServer upstream) implements AutoCloseable {

        /** What the model side received, whichever downstream it was. */
        public java.util.List<RecordedRequest> upstreamRequests() {
            return replay != null ? replay.requests() : upstream.requests();
        }

        @Override
        public void close() throws Exception {
            container.close();
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    /** Starts {@code kind} with {@code filter} in front of this downstream, which answers with {@code route}. */
    public Setup start(ServletContainer.Kind kind, jakarta.servlet.Filter filter, Function<RecordedRequest, Reply> route, int maxThreads) {
        return start(kind, filter, route, maxThreads, java.time.Duration.ofSeconds(30));
    }

    /**
     * As {@link #start(ServletContainer.Kind, jakarta.servlet.Filter, Function, int)}; a {@link #PROXY}
     * answers 504 when the fake server has not answered in full within {@code proxyTimeout}.
     */
    public Setup start(ServletContainer.Kind kind, jakarta.servlet.Filter filter, Function<RecordedRequest, Reply> route, int maxThreads,
            java.time.Duration proxyTimeout) {
        if (this == PROXY) {
            FakeLlamaServer upstream = FakeLlamaServer.start(route);
            HttpServlet proxy = new StreamingProxyServlet();
            Map<String, String> params = Map.of("proxyTo", upstream.baseUri().toString(),
                    "timeout", Long.toString(proxyTimeout.toMillis()));
            return new Setup(kind.start(filter, proxy, params, maxThreads), null, upstream);
        }
        ReplayServlet replay = switch (this) {
            case SYNC -> ReplayServlet.sync(route);
            case ASYNC -> ReplayServlet.async(route);
            default -> ReplayServlet.dispatching(route);
        };
        return new Setup(kind.start(filter, replay, Map.of(), maxThreads), replay, null);
    }
}
