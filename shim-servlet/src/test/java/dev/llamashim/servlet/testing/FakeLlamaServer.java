package dev.llamashim.servlet.testing;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A stand-in for llama-server over real HTTP on 127.0.0.1: answers each request with the
 * {@link Reply} its route picks (usually a captured fixture), waits without holding a thread, and
 * records what it received.
 */
public final class FakeLlamaServer implements AutoCloseable {

    private final Server server;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger failedExchanges = new AtomicInteger();

    private FakeLlamaServer(Function<RecordedRequest, Reply> route) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("fake-llama");
        server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new ReplayHandler(route));
        server.start();
    }

    /** Starts a fake server that answers with {@code route}. */
    public static FakeLlamaServer start(Function<RecordedRequest, Reply> route) {
        try {
            return new FakeLlamaServer(route);
        } catch (Exception e) {
            throw new IllegalStateException("fake llama-server did not start", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
    }

    /** What it received, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The most requests it was answering at the same time. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** How many exchanges ended in failure (the client of this server, usually a proxy, went away). */
    public int failedExchanges() {
        return failedExchanges.get();
    }

    /** The only request received; fails when there was not exactly one. */
    public RecordedRequest onlyRequest() {
        if (requests.size() != 1) {
            throw new AssertionError("expected one request, got " + requests.size());
        }
        return requests.get(0);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    private final class ReplayHandler extends Handler.Abstract {
        private final Function<RecordedRequest, Reply> route;

        ReplayHandler(Function<RecordedRequest, Reply> route) {
            this.route = route;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Content.Source.asByteBufferAsync(request).whenComplete((body, failure) -> {
                if (failure != null) {
                    callback.failed(failure);
                    return;
                }
                RecordedRequest recorded = record(request, body);
                requests.add(recorded);
                Reply reply = route.apply(recorded);
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                Callback counted = new Callback() {
                    @Override
                    public void succeeded() {
                        inFlight.decrementAndGet();
                        callback.succeeded();
                    }

                    @Override
                    public void failed(Throwable x) {
                        inFlight.decrementAndGet();
                        failedExchanges.incrementAndGet();
                        callback.failed(x);
                    }
                };
                Scheduler scheduler = request.getComponents().getScheduler();
                scheduler.schedule(() -> respond(response, reply, 0, counted, scheduler),
                        reply.before().toMillis(), TimeUnit.MILLISECONDS);
            });
            return true;
        }

        private void respond(Response response, Reply reply, int part, Callback callback, Scheduler scheduler) {
            if (part == 0) {
                response.setStatus(reply.status());
                for (Map.Entry<String, String> header : reply.headers()) {
                    response.getHeaders().add(header.getKey(), header.getValue());
                }
                if (reply.parts().size() == 1) {
                    response.getHeaders().put("Content-Length", reply.parts().get(0).length);
                }
            }
            boolean last = part == reply.parts().size() - 1;
            ByteBuffer bytes = reply.parts().isEmpty() ? ByteBuffer.allocate(0) : ByteBuffer.wrap(reply.parts().get(part));
            if (reply.parts().isEmpty() || last) {
                response.write(true, bytes, callback);
                return;
            }
            response.write(false, bytes, Callback.from(
                    () -> scheduler.schedule(() -> respond(response, reply, part + 1, callback, scheduler),
                            reply.between().toMillis(), TimeUnit.MILLISECONDS),
                    callback::failed));
        }

        private RecordedRequest record(Request request, ByteBuffer body) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (HttpField field : request.getHeaders()) {
                headers.computeIfAbsent(field.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(field.getValue());
            }
            byte[] bytes = new byte[body.remaining()];
            body.get(bytes);
            String query = request.getHttpURI().getQuery();
            String path = request.getHttpURI().getPath() + (query == null ? "" : "?" + query);
            headers.replaceAll((k, v) -> Collections.unmodifiableList(v));
            return new RecordedRequest(request.getMethod(), path, Collections.unmodifiableMap(headers), bytes);
        }
    }
}
