package dev.llamashim.servlet.testing;

import dev.llamashim.core.testing.Fixture;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.ConnectionStatistics;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A stand-in for llama-server over real HTTP (or HTTPS) on 127.0.0.1: answers each request with the
 * {@link Reply} its route picks (usually a captured fixture), waits without holding a thread, and
 * records what it received. Routes for one method and path ({@link #route(String, String, Reply)})
 * take precedence over the route it was started with, and may be test code writing the answer
 * itself ({@link #route(String, String, Writer)}).
 */
public final class FakeLlamaServer implements AutoCloseable {

    /**
     * Test code that writes an answer itself, for what a {@link Reply} cannot say (a connection
     * dropped mid-request, a write timed to what the client has seen). It runs on a server thread
     * of its own and may block.
     */
    @FunctionalInterface
    public interface Writer {
        /** Answers {@code request} on {@code response} and completes {@code callback} (usually through {@code response.write}). */
        void write(RecordedRequest request, Response response, Callback callback) throws Exception;
    }

    private final Server server;
    private final ServerConnector connector;
    private final String scheme;
    private final Function<RecordedRequest, Reply> fallback;
    private final Map<String, Writer> routes = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final ConnectionStatistics connections = new ConnectionStatistics();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger failedExchanges = new AtomicInteger();

    private FakeLlamaServer(Function<RecordedRequest, Reply> fallback, SslContextFactory.Server tls) throws Exception {
        this.fallback = fallback;
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("fake-llama");
        server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(false);
        HttpConnectionFactory http = new HttpConnectionFactory(config);
        connector = new ServerConnector(server, 1, 1, AbstractConnectionFactory.getFactories(tls, http));
        scheme = tls == null ? "http" : "https";
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.addBean(connections);
        server.addConnector(connector);
        server.setHandler(new ReplayHandler());
        server.start();
    }

    /** Starts a fake server that answers with {@code route}. */
    public static FakeLlamaServer start(Function<RecordedRequest, Reply> route) {
        return start(route, null);
    }

    /** Starts a fake server that answers every request as llama-server answers an unknown path (404), until routes are added. */
    public static FakeLlamaServer start() {
        return start(Routes.always(Fixture.load("new", "error-unknown-path")), null);
    }

    /** Like {@link #start()}, over HTTPS with the key and certificate in the PKCS12 {@code keyStore}. */
    public static FakeLlamaServer startTls(Path keyStore, String password) {
        return startTls(keyStore, password, Routes.always(Fixture.load("new", "error-unknown-path")));
    }

    /** Like {@link #start(Function)}, over HTTPS with the key and certificate in the PKCS12 {@code keyStore}. */
    public static FakeLlamaServer startTls(Path keyStore, String password, Function<RecordedRequest, Reply> route) {
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(keyStore.toString());
        tls.setKeyStorePassword(password);
        tls.setKeyStoreType("PKCS12");
        return start(route, tls);
    }

    private static FakeLlamaServer start(Function<RecordedRequest, Reply> route, SslContextFactory.Server tls) {
        try {
            return new FakeLlamaServer(route, tls);
        } catch (Exception e) {
            throw new IllegalStateException("fake llama-server did not start", e);
        }
    }

    /** Answers {@code method path} (the path without its query) with {@code reply}. */
    public FakeLlamaServer route(String method, String path, Reply reply) {
        routes.put(method + " " + path, new ReplyWriter(reply));
        return this;
    }

    /** Answers {@code method path} (the path without its query) with test code. */
    public FakeLlamaServer route(String method, String path, Writer writer) {
        routes.put(method + " " + path, writer);
        return this;
    }

    /** Forgets the routes added and the requests received, so one server can serve several tests. */
    public void reset() {
        routes.clear();
        requests.clear();
    }

    /** {@code http://127.0.0.1:<port>} (or {@code https}). */
    public URI baseUri() {
        return URI.create(scheme + "://127.0.0.1:" + connector.getLocalPort());
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

    /** How many client connections are open right now. */
    public long openConnections() {
        return connections.getConnections();
    }

    /** The only request received; fails when there was not exactly one. */
    public RecordedRequest onlyRequest() {
        if (requests.size() != 1) {
            throw new AssertionError("expected one request, got " + requests.size() + ": " + requests);
        }
        return requests.get(0);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** A {@link Reply} written without holding a thread: its waits are scheduled. */
    private record ReplyWriter(Reply reply) implements Writer {
        @Override
        public void write(RecordedRequest request, Response response, Callback callback) {
            Scheduler scheduler = response.getRequest().getComponents().getScheduler();
            scheduler.schedule(() -> respond(response, 0, callback, scheduler), reply.before().toMillis(), TimeUnit.MILLISECONDS);
        }

        private void respond(Response response, int part, Callback callback, Scheduler scheduler) {
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
                    () -> scheduler.schedule(() -> respond(response, part + 1, callback, scheduler),
                            reply.between().toMillis(), TimeUnit.MILLISECONDS),
                    callback::failed));
        }
    }

    private final class ReplayHandler extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Content.Source.asByteBufferAsync(request).whenComplete((body, failure) -> {
                if (failure != null) {
                    callback.failed(failure);
                    return;
                }
                RecordedRequest recorded = record(request, body);
                requests.add(recorded);
                Writer writer = routes.get(request.getMethod() + " " + request.getHttpURI().getPath());
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
                if (writer == null || writer instanceof ReplyWriter) {
                    ReplyWriter replying = writer == null ? new ReplyWriter(fallback.apply(recorded)) : (ReplyWriter) writer;
                    replying.write(recorded, response, counted);
                    return;
                }
                // Test code may block; the thread completing the body read may be one that must not.
                server.getThreadPool().execute(() -> {
                    try {
                        writer.write(recorded, response, counted);
                    } catch (Exception e) {
                        counted.failed(e);
                    }
                });
            });
            return true;
        }

        private RecordedRequest record(Request request, ByteBuffer body) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (HttpField field : request.getHeaders()) {
                headers.computeIfAbsent(field.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(field.getValue());
            }
            byte[] bytes = new byte[body.remaining()];
            body.get(bytes);
            headers.replaceAll((k, v) -> Collections.unmodifiableList(v));
            return new RecordedRequest(request.getMethod(), request.getHttpURI().getPathQuery(),
                    Collections.unmodifiableMap(headers), bytes);
        }
    }
}
