package dev.llamashim.examples.gateway;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small Java AI gateway: forwards every request to one of its upstream model servers (in turn)
 * with the JDK {@link HttpClient}, puts its own API key on it, and writes the answer back with
 * non-blocking servlet output, completing the {@link AsyncContext} at the end. No thread waits for
 * the model. It knows nothing of llamashim: {@code ToolStreamFilter} in front of it turns its
 * complete tool-call answers into streams.
 *
 * <p>Configured by constructor, or by init-params (see {@link GatewayConfig#fromParams}) when a
 * container creates it by class name.
 */
public class GatewayServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** Headers that belong to one connection, or that the client sets itself; never forwarded. */
    private static final Set<String> NOT_FORWARDED = Set.of(
            "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
            "host", "content-length", "expect", "authorization", "http2-settings");

    private transient GatewayConfig config;
    private transient HttpClient client;
    private transient ExecutorService clientThreads;
    private final AtomicInteger turn = new AtomicInteger();

    /** A gateway configured by init-params. */
    public GatewayServlet() {}

    /** A gateway configured by {@code config}. */
    public GatewayServlet(GatewayConfig config) {
        this.config = config;
    }

    @Override
    public void init() throws ServletException {
        if (config == null) {
            try {
                config = GatewayConfig.fromParams(this::getInitParameter);
            } catch (IllegalArgumentException e) {
                throw new ServletException("gateway " + getServletName() + ": " + e.getMessage(), e);
            }
        }
        clientThreads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "gateway-upstream");
            thread.setDaemon(true);
            return thread;
        });
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads).build();
    }

    @Override
    public void destroy() {
        // HttpClient can be closed only from JDK 21 on; its own threads are ours to stop on 17.
        clientThreads.shutdownNow();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // The body of a chat request is small; a shimmed one was already read by the filter.
        byte[] body = request.getInputStream().readAllBytes();
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // the HttpClient's response timeout bounds the wait instead

        CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> exchange =
                client.sendAsync(upstreamRequest(request, body), HttpResponse.BodyHandlers.ofPublisher());
        UpstreamBodyWriter writer = new UpstreamBodyWriter(async, response);
        async.addListener(new AsyncListener() {
            @Override
            public void onError(AsyncEvent event) {
                // The client is gone: stop waiting for (or reading) the model's answer.
                exchange.cancel(true);
                writer.cancel();
            }

            @Override
            public void onComplete(AsyncEvent event) {}

            @Override
            public void onTimeout(AsyncEvent event) {}

            @Override
            public void onStartAsync(AsyncEvent event) {}
        });
        exchange.whenComplete((upstream, failure) -> {
            if (failure != null) {
                sendError(async, response, failure);
                return;
            }
            response.setStatus(upstream.statusCode());
            upstream.headers().map().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    values.forEach(value -> response.addHeader(name, value));
                }
            });
            upstream.body().subscribe(writer);
        });
    }

    private HttpRequest upstreamRequest(HttpServletRequest request, byte[] body) {
        List<URI> upstreams = config.upstreams();
        URI base = upstreams.get(Math.floorMod(turn.getAndIncrement(), upstreams.size()));
        String query = request.getQueryString();
        URI target = URI.create(base.toString().replaceAll("/+$", "") + request.getRequestURI()
                + (query == null ? "" : "?" + query));
        HttpRequest.Builder upstream = HttpRequest.newBuilder(target)
                .timeout(config.responseTimeout())
                .method(request.getMethod(), body.length == 0
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String name : Collections.list(request.getHeaderNames())) {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                Collections.list(request.getHeaders(name)).forEach(value -> upstream.header(name, value));
            }
        }
        if (!config.apiKey().isEmpty()) {
            upstream.header("Authorization", "Bearer " + config.apiKey());
        }
        return upstream.build();
    }

    /** The upstream could not be reached or did not answer in time: an OpenAI-shaped 502 or 504. */
    private void sendError(AsyncContext async, HttpServletResponse response, Throwable failure) {
        boolean timeout = failure instanceof HttpTimeoutException
                || failure.getCause() instanceof HttpTimeoutException;
        String message = timeout ? "the model server did not answer in time" : "the model server could not be reached";
        String code = timeout ? "upstream_timeout" : "upstream_error";
        try {
            response.setStatus(timeout ? 504 : 502);
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            response.getOutputStream().write(("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + code
                    + "\",\"code\":\"" + code + "\"}}").getBytes(StandardCharsets.UTF_8));
        } catch (IOException | IllegalStateException e) {
            // The client is gone as well; nobody is left to tell.
            log("gateway: could not send the error for " + failure, e);
        } finally {
            async.complete();
        }
    }
}
