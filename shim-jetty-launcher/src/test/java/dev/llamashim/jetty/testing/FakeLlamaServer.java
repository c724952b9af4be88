package dev.llamashim.jetty.testing;

import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.ConnectionStatistics;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A stand-in for llama-server on 127.0.0.1 and a free port, over real HTTP (or HTTPS with a test
 * certificate). It answers routes ({@code "GET /v1/models"}) with fixtures or test code, 404 elsewhere,
 * and records every request it gets.
 */
public final class FakeLlamaServer implements AutoCloseable {

    /** Test code answering one route; it may block (it runs on a server thread). */
    @FunctionalInterface
    public interface Route {
        /** Answers {@code request}; must complete {@code callback}, typically through {@code response.write}. */
        void handle(RecordedRequest request, Response response, Callback callback) throws Exception;
    }

    private final Server server = new Server();
    private final ServerConnector connector;
    private final ConnectionStatistics connections = new ConnectionStatistics();
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final String scheme;

    private FakeLlamaServer(TestCertificate certificate) throws Exception {
        HttpConfiguration http = new HttpConfiguration();
        // llama-server sends its own Server header (the fixtures have it); Jetty's would come first.
        http.setSendServerVersion(false);
        if (certificate == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
            scheme = "http";
        } else {
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStorePath(certificate.keyStore().toString());
            tls.setKeyStorePassword(certificate.password());
            tls.setKeyStoreType("PKCS12");
            connector = new ServerConnector(server, tls, new HttpConnectionFactory(http));
            scheme = "https";
        }
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.addBean(connections);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                byte[] body;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    body = in.readAllBytes();
                }
                RecordedRequest recorded = new RecordedRequest(request.getMethod(), request.getHttpURI().getPathQuery(),
                        HttpFields.build(request.getHeaders()).asImmutable(), body);
                requests.add(recorded);
                Route route = routes.get(request.getMethod() + " " + request.getHttpURI().getPath());
                if (route == null) {
                    Response.writeError(request, response, callback, 404);
                } else {
                    route.handle(recorded, response, callback);
                }
                return true;
            }
        });
        server.start();
    }

    /** A plain HTTP fake, started. */
    public static FakeLlamaServer start() throws Exception {
        return new FakeLlamaServer(null);
    }

    /** An HTTPS fake presenting {@code certificate}, started. */
    public static FakeLlamaServer startTls(TestCertificate certificate) throws Exception {
        return new FakeLlamaServer(certificate);
    }

    /** Answers {@code method path} with {@code fixture}. */
    public FakeLlamaServer replay(String method, String path, Fixture fixture) {
        return route(method, path, (request, response, callback) -> fixture.writeTo(response, callback));
    }

    /** Answers {@code method path} with test code. */
    public FakeLlamaServer route(String method, String path, Route route) {
        routes.put(method + " " + path, route);
        return this;
    }

    /** Forgets every route and recorded request, so one fake can serve several tests. */
    public void reset() {
        routes.clear();
        requests.clear();
    }

    /** {@code http://127.0.0.1:PORT} (or https). */
    public URI uri() {
        return URI.create(scheme + "://127.0.0.1:" + connector.getLocalPort());
    }

    /** Every request received so far, in order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The only request received; fails if there were more or none. */
    public RecordedRequest onlyRequest() {
        if (requests.size() != 1) {
            throw new AssertionError("expected exactly one request upstream, got " + requests.size() + ": " + requests);
        }
        return requests.get(0);
    }

    /** How many client connections are open right now. */
    public long openConnections() {
        return connections.getConnections();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
