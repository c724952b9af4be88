package dev.llamashim.jetty;

import dev.llamashim.servlet.BufferedBodyRequest;
import dev.llamashim.servlet.OpenAiError;
import dev.llamashim.servlet.ToolStreamFilter;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's non-blocking proxy, forwarding every request to {@code target_url} with its path and
 * query, {@code Host} set to the target and {@code X-Forwarded-For/-Proto/-Host} added. When the
 * upstream fails it answers with an OpenAI-shaped error instead of Jetty's empty one: 504
 * ({@code upstream_timeout}) after {@code request_timeout} of silence, 502 ({@code upstream_error})
 * when it cannot be reached, breaks off before answering, or breaks off in the middle of its answer
 * before any of it reached the client (a shimmed request's answer never reaches the client
 * before it is complete). An answer that breaks off after part of it was sent is cut off.
 */
final class UpstreamProxyServlet extends AsyncProxyServlet {

    private static final long serialVersionUID = 1L;

    /** Request attribute (a {@link Long}) with the milliseconds from sending upstream to the upstream's answer ending. */
    static final String UPSTREAM_MILLIS_ATTRIBUTE = "dev.llamashim.jetty.upstreamMillis";

    private static final String TARGET_URI_ATTRIBUTE = "dev.llamashim.jetty.targetUri";
    private static final String UPSTREAM_START_ATTRIBUTE = "dev.llamashim.jetty.upstreamStartNanos";
    private static final String UPSTREAM_FIRST_BYTE_ATTRIBUTE = "dev.llamashim.jetty.upstreamFirstByteNanos";
    private static final String EVENT_STREAM_WRITER_ATTRIBUTE = "dev.llamashim.jetty.eventStreamWriter";
    private static final String CLIENT_FAILURE_ATTRIBUTE = "dev.llamashim.jetty.clientFailureStatus";
    private static final String UPSTREAM_ANSWERED_ATTRIBUTE = "dev.llamashim.jetty.upstreamAnswered";
    private static final String HANG_UP_WATCH_ATTRIBUTE = "dev.llamashim.jetty.hangUpWatch";
    private static final String CLIENT_GONE_ATTRIBUTE = ToolStreamFilter.CLIENT_GONE_ATTRIBUTE;
    private static final String EVENT_STREAM = "text/event-stream";
    /** nginx's status for a request whose client closed the connection first; only the access log sees it. */
    private static final int CLIENT_CLOSED_REQUEST = 499;
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamProxyServlet.class);

    private final String targetBase;
    private final SslContextFactory.Client tls;
    private final Duration requestTimeout;
    private final int maxConnections;
    private final int maxQueued;
    private final Duration upstreamIdleTimeout;
    private final transient UpstreamObserver observer;
    private transient HangUpWatchTimer hangUpWatches;

    UpstreamProxyServlet(LauncherConfig config, SslContextFactory.Client tls, UpstreamObserver observer) {
        this.targetBase = config.targetUrl().toString();
        this.tls = tls;
        this.requestTimeout = config.requestTimeout();
        this.maxConnections = config.maxUpstreamConnections();
        this.maxQueued = config.maxUpstreamQueue();
        this.upstreamIdleTimeout = config.upstreamIdleTimeout();
        this.observer = observer;
    }

    @Override
    public void init() throws ServletException {
        super.init();
        // request_timeout bounds silence (see newProxyRequest), not the whole exchange: a long,
        // healthy token stream must not be cut off after a fixed total time.
        setTimeout(0);
        hangUpWatches = new HangUpWatchTimer(getHttpClient().getScheduler());
    }

    @Override
    public void destroy() {
        if (hangUpWatches != null) {
            hangUpWatches.destroy();
        }
        super.destroy();
    }

    /**
     * Jetty's proxy logs every request header at DEBUG, {@code Authorization} included. Its logger
     * stays under {@code org.eclipse.jetty}, which {@link LogLevels} never lets below WARN.
     */
    @Override
    protected Logger createLogger() {
        return LoggerFactory.getLogger("org.eclipse.jetty.ee10.proxy.AsyncProxyServlet");
    }

    /**
     * The proxy's client with {@code max_upstream_connections}, {@code max_upstream_queue} and
     * {@code upstream_idle_timeout} instead of Jetty's 256, 1024 and 30 s, and its connections in
     * an {@link IdleStackPool}.
     */
    @Override
    protected HttpClient createHttpClient() throws ServletException {
        HttpClient client = super.createHttpClient();
        // Both are read when the target's destination is first made, on the first request.
        client.setMaxConnectionsPerDestination(maxConnections);
        client.setMaxRequestsQueuedPerDestination(maxQueued);
        client.getTransport().setConnectionPoolFactory(IdleStackPool.connectionPools(maxConnections));
        // The proxy's response listeners never block (they write to the client with non-blocking
        // output), so the client's selector may run them itself rather than hand each read to a pool thread.
        client.getTransport().setInvocationType(Invocable.InvocationType.NON_BLOCKING);
        // Every connection gets it when opened, and has it again whenever it returns to the pool
        // (during an exchange the request's idle timeout, request_timeout, holds instead).
        client.setIdleTimeout(upstreamIdleTimeout.toMillis());
        if (client.getTransport() instanceof HttpClientTransportOverHTTP http1) {
            // As the server's (see Launcher): a 96 KB header cache on each of up to max_upstream_connections.
            http1.setHeaderCacheSize(0);
        }
        return client;
    }

    @Override
    protected ClientConnector newClientConnector() {
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        return connector;
    }

    /**
     * {@code target_url} followed by the raw (still percent-encoded) path and query, so the upstream
     * sees exactly what the client sent; only ever {@code target_url}, whatever host the request
     * line or {@code Host} header names. {@code null} when that is no URI: Jetty's server takes
     * characters in a query that its HTTP client cannot send ({@code |}, {@code ^}, {@code {}).
     * The parsed URI goes to {@link #newProxyRequest} in a request attribute, so it is parsed once.
     */
    @Override
    protected String rewriteTarget(HttpServletRequest request) {
        String query = request.getQueryString();
        String target = targetBase + request.getRequestURI() + (query == null ? "" : "?" + query);
        try {
            request.setAttribute(TARGET_URI_ATTRIBUTE, URI.create(target));
            return target;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    protected void onProxyRewriteFailed(HttpServletRequest clientRequest, HttpServletResponse proxyResponse) {
        sendError(clientRequest, proxyResponse, new OpenAiError(400,
                "the request's path or query holds characters that cannot be forwarded; percent-encode them (| as %7C)",
                "invalid_request_error", "invalid_request_target"));
    }

    @Override
    protected Request newProxyRequest(HttpServletRequest request, String rewrittenTarget) {
        // An idle timeout covers both waits that matter: for the first byte of the answer (a
        // shimmed request's whole answer comes at once) and between the bytes of a stream.
        // As Jetty's own, but from the URI rewriteTarget parsed: HttpClient.newRequest(String) parses it again.
        Request proxyRequest = getHttpClient().newRequest((URI) request.getAttribute(TARGET_URI_ATTRIBUTE))
                .method(request.getMethod())
                .attribute(CLIENT_REQUEST_ATTRIBUTE, request)
                .idleTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        request.setAttribute(HANG_UP_WATCH_ATTRIBUTE,
                ClientHangUpWatch.of(request, hangUpWatches, () -> clientHungUp(request, proxyRequest)));
        return proxyRequest;
    }

    /**
     * Watches for a hang-up once the client's body is all read (the proxy reads it as it forwards
     * it). The watch is this exchange's, taken now: the model server may answer from the body's
     * declared length before the end is read, and the request's attributes are not to be read once
     * its exchange is over (a late start then finds its watch stopped, and does nothing).
     */
    @Override
    protected ReadListener newReadListener(HttpServletRequest request, HttpServletResponse response, Request proxyRequest,
            AsyncRequestContent content) {
        ClientHangUpWatch watch = hangUpWatch(request);
        return new StreamReader(request, response, proxyRequest, content) {
            @Override
            public void onAllDataRead() {
                super.onAllDataRead();
                watch.start();
            }
        };
    }

    /**
     * A body the filter has already read goes upstream at once, with the request's head in one
     * write, rather than back through the servlet input stream (a read listener's turns on pool
     * threads, then a write of its own); the hang-up watch starts as for a body read to its end.
     * Any other body is read and forwarded as it arrives.
     */
    @Override
    protected Request.Content proxyRequestContent(HttpServletRequest request, HttpServletResponse response,
            Request proxyRequest) throws IOException {
        if (request instanceof BufferedBodyRequest buffered) {
            return new BytesRequestContent(buffered.bufferedBody());
        }
        return super.proxyRequestContent(request, response, proxyRequest);
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        super.addProxyHeaders(clientRequest, proxyRequest);
        String remote = clientRequest.getRemoteAddr();
        String host = clientRequest.getHeader("Host");
        String scheme = clientRequest.getScheme();
        proxyRequest.headers(headers -> {
            List<String> earlier = headers.getValuesList("X-Forwarded-For");
            headers.put("X-Forwarded-For", earlier.isEmpty() ? remote : String.join(", ", earlier) + ", " + remote);
            headers.put("X-Forwarded-Proto", scheme);
            if (host != null) {
                headers.put("X-Forwarded-Host", host);
            }
        });
    }

    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest) {
        clientRequest.setAttribute(UPSTREAM_START_ATTRIBUTE, System.nanoTime());
        // The path only: a query string may carry an API key.
        LOG.debug("forwarding {} {} to {}", clientRequest.getMethod(), clientRequest.getRequestURI(), targetBase);
        // Jetty's proxy hears of a gone client only when it writes to it. The hang-up watch
        // notices sooner while the model works; a shimmed request's failed heartbeat reports here.
        clientRequest.getAsyncContext().addListener(new AbortUpstreamOnClientError(hangUpWatch(clientRequest), proxyRequest));
        if (!hasContent(clientRequest) || clientRequest instanceof BufferedBodyRequest) {
            hangUpWatch(clientRequest).start();
        }
        super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    }

    /**
     * Jetty's response listener, except that an event stream bound for the container's own output
     * skips {@link #onResponseContent} and goes out through a {@link DirectEventStreamWriter}.
     */
    @Override
    protected Response.Listener newProxyResponseListener(HttpServletRequest request, HttpServletResponse response) {
        return new UpstreamResponseListener(request, response);
    }

    /**
     * An answer the shim holds whole ({@link ToolStreamFilter#HELD_ANSWER_ATTRIBUTE}) is written
     * to it at once, on this thread: its output never blocks, so no write listener is needed
     * (Jetty's proxy would set one, and the shim would call it back on another thread). An event
     * stream goes out piece by piece, each flushed: the servlet output buffer would hold small
     * events (one per token) back. Other bodies keep the buffer; turning it off instead made
     * Jetty write them one byte at a time (BENCHMARKS.md). An event stream reaches this method only
     * when its output is not the container's own ({@link UpstreamResponseListener}): the filter's
     * repair pipe, in modes {@code repair} and {@code auto}, or the answer it holds whole.
     */
    @Override
    protected void onResponseContent(HttpServletRequest request, HttpServletResponse response, Response proxyResponse,
            byte[] buffer, int offset, int length, Callback callback) {
        if (request.getAttribute(RequestCapture.ATTRIBUTE) instanceof RequestCapture capture) {
            capture.upstreamBytes(buffer, offset, length);
        }
        if (Boolean.TRUE.equals(request.getAttribute(ToolStreamFilter.HELD_ANSWER_ATTRIBUTE))) {
            try {
                response.getOutputStream().write(buffer, offset, length);
            } catch (IOException | RuntimeException e) {
                // Past max_response_bytes: the upstream exchange ends, and the shim answers 502.
                callback.failed(e);
                proxyResponse.abort(e);
                return;
            }
            callback.succeeded();
            return;
        }
        if (!isEventStream(proxyResponse)) {
            super.onResponseContent(request, response, proxyResponse, buffer, offset, length, callback);
            return;
        }
        try {
            EventStreamWriter writer = (EventStreamWriter) request.getAttribute(EVENT_STREAM_WRITER_ATTRIBUTE);
            if (writer == null) {
                ServletOutputStream out = response.getOutputStream();
                writer = new EventStreamWriter(out, proxyResponse, buffer, offset, length, callback);
                request.setAttribute(EVENT_STREAM_WRITER_ATTRIBUTE, writer);
                // The container calls back once the output is ready, and the first piece goes out then.
                out.setWriteListener(writer);
            } else {
                writer.write(buffer, offset, length, callback);
            }
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
            proxyResponse.abort(e);
        }
    }

    private static boolean isEventStream(Response proxyResponse) {
        String type = proxyResponse.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, EVENT_STREAM, 0, EVENT_STREAM.length());
    }

    /**
     * Jetty's listener for one upstream response. At the answer's first chunk it decides, once,
     * how the body goes out: an event stream whose output is the container's {@link HttpOutput}
     * (every passed-through request) chunk by chunk from the client's buffer through a
     * {@link DirectEventStreamWriter}, which also feeds the capture; anything else as Jetty does it,
     * copied and handed to {@link #onResponseContent}. The client delivers one chunk at a time, each
     * after the previous one's demand, so the fields need no lock.
     */
    private final class UpstreamResponseListener extends ProxyResponseListener {

        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private boolean decided;
        /** {@code null} when the body takes Jetty's way. */
        private DirectEventStreamWriter direct;

        UpstreamResponseListener(HttpServletRequest request, HttpServletResponse response) {
            super(request, response);
            this.request = request;
            this.response = response;
        }

        @Override
        public void onContent(Response serverResponse, Content.Chunk chunk, Runnable demander) {
            if (!decided) {
                try {
                    direct = directWriter(serverResponse);
                } catch (IOException | RuntimeException e) {
                    // The client does not demand more; it releases the chunk when this returns.
                    serverResponse.abort(e);
                    return;
                }
                decided = true;
            }
            if (direct == null) {
                super.onContent(serverResponse, chunk, demander);
            } else {
                direct.write(chunk, demander);
            }
        }

        private DirectEventStreamWriter directWriter(Response serverResponse) throws IOException {
            if (!isEventStream(serverResponse)) {
                return null;
            }
            // A wrapped response (the filter's repair pipe) has no write that skips its buffer.
            if (!(response.getOutputStream() instanceof HttpOutput output)) {
                return null;
            }
            RequestCapture capture = request.getAttribute(RequestCapture.ATTRIBUTE) instanceof RequestCapture c ? c : null;
            return new DirectEventStreamWriter(output, serverResponse, capture);
        }
    }

    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse) {
        // The answer goes to the client from here on: its writes notice a hang-up, and the
        // connection must have its read interest back before the response completes.
        hangUpWatch(clientRequest).stop();
        clientRequest.setAttribute(UPSTREAM_FIRST_BYTE_ATTRIBUTE, System.nanoTime());
        if (clientRequest.getAttribute(RequestCapture.ATTRIBUTE) instanceof RequestCapture capture) {
            capture.upstreamAnswered(serverResponse.getStatus(), serverResponse.getHeaders().get(HttpHeader.CONTENT_TYPE));
        }
        // From here on a failure breaks an answer off mid-body rather than preventing it.
        clientRequest.setAttribute(UPSTREAM_ANSWERED_ATTRIBUTE, Boolean.TRUE);
        super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) {
        recordUpstreamTime(clientRequest);
        super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
    }

    @Override
    protected void onClientRequestFailure(HttpServletRequest clientRequest, Request proxyRequest,
            HttpServletResponse proxyResponse, Throwable failure) {
        // Reading the client's body failed (it went away, or stalled): abort the upstream exchange,
        // whose failure then comes to onProxyResponseFailure, which answers.
        hangUpWatch(clientRequest).stop();
        clientRequest.setAttribute(CLIENT_FAILURE_ATTRIBUTE, clientRequestStatus(failure));
        proxyRequest.abort(failure);
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
            Response serverResponse, Throwable failure) {
        hangUpWatch(clientRequest).stop();
        recordUpstreamTime(clientRequest);
        String request = clientRequest.getMethod() + " " + clientRequest.getRequestURI();
        if (Boolean.TRUE.equals(clientRequest.getAttribute(CLIENT_GONE_ATTRIBUTE))) {
            LOG.info("{}: the client closed its connection while {} worked on it; that request was aborted",
                    request, targetBase);
            // Its connection is closed: the status is for the access log, and nothing is written.
            proxyResponse.setStatus(CLIENT_CLOSED_REQUEST);
            clientRequest.getAsyncContext().complete();
            return;
        }
        Object clientStatus = clientRequest.getAttribute(CLIENT_FAILURE_ATTRIBUTE);
        OpenAiError error;
        if (clientStatus instanceof Integer status) {
            LOG.debug("{}: reading the client's request failed: {}", request, brief(failure));
            error = new OpenAiError(status, "llamashim could not read the request body", "invalid_request_error",
                    "request_body_unreadable");
        } else if (isTimeout(failure)) {
            String seconds = ConfigKeys.REQUEST_TIMEOUT.print(requestTimeout);
            LOG.warn("{}: {} sent nothing for {} s (request_timeout); {}", request, targetBase, seconds,
                    proxyResponse.isCommitted() ? "cutting the answer off" : "answering 504");
            error = new OpenAiError(504, "the model server did not answer within " + seconds
                    + " seconds (request_timeout)", "upstream_timeout", "upstream_timeout");
        } else {
            LOG.warn("{}: forwarding to {} failed ({}): {}", request, targetBase,
                    proxyResponse.isCommitted() ? "cutting the answer off" : "answering 502", brief(failure));
            error = new OpenAiError(502, breakOffMessage(clientRequest, failure), "upstream_error", "upstream_error");
        }
        sendError(clientRequest, proxyResponse, error);
    }

    @Override
    protected void sendProxyResponseError(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, int status) {
        sendError(clientRequest, proxyResponse, new OpenAiError(status < 400 || status > 599 ? 502 : status,
                "llamashim could not forward the request to the model server", "upstream_error", "upstream_error"));
    }

    private void sendError(HttpServletRequest clientRequest, HttpServletResponse response, OpenAiError error) {
        clientRequest.setAttribute(ToolStreamFilter.OWN_ERROR_ATTRIBUTE, error.code());
        if (response.isCommitted()) {
            // Part of the upstream's answer already reached the client. Jetty's handling aborts the
            // connection, so the client sees a broken answer rather than a complete-looking one.
            super.sendProxyResponseError(clientRequest, response, error.status());
            return;
        }
        try {
            byte[] body = error.toJson();
            response.reset();
            response.setStatus(error.status());
            response.setContentType("application/json;charset=utf-8");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        } catch (IOException | RuntimeException e) {
            // The client is gone or the response is unusable; the exchange's failure is logged above.
            LOG.debug("could not write the {} answer", error.status(), e);
        } finally {
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
        }
    }

    /** The client went away while the model server worked: abort that request, so the model stops working for nobody. */
    private static void clientHungUp(HttpServletRequest clientRequest, Request proxyRequest) {
        clientRequest.setAttribute(CLIENT_GONE_ATTRIBUTE, Boolean.TRUE);
        proxyRequest.abort(new EofException("the client closed its connection"));
    }

    private static ClientHangUpWatch hangUpWatch(HttpServletRequest clientRequest) {
        return (ClientHangUpWatch) clientRequest.getAttribute(HANG_UP_WATCH_ATTRIBUTE);
    }

    /** Aborts the upstream exchange when the client's request fails, so the model stops working for nobody. */
    private record AbortUpstreamOnClientError(ClientHangUpWatch watch, Request proxyRequest) implements AsyncListener {
        @Override
        public void onError(AsyncEvent event) {
            watch.stop();
            proxyRequest.abort(event.getThrowable());
        }

        @Override
        public void onComplete(AsyncEvent event) {
            // The exchange ended normally.
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // The async context never times out here (timeout 0); request_timeout is the client's idle timeout.
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // Registered once per exchange.
        }
    }

    private static String breakOffMessage(HttpServletRequest clientRequest, Throwable failure) {
        if (isConnectFailure(failure)) {
            return "llamashim could not connect to the model server";
        }
        if (Boolean.TRUE.equals(clientRequest.getAttribute(UPSTREAM_ANSWERED_ATTRIBUTE))) {
            return "the model server's answer was incomplete: the connection broke off before the whole body arrived";
        }
        return "the model server broke off the exchange before answering";
    }

    /** The failure's type and the start of its message: Jetty's messages can carry whole connection dumps. */
    private static String brief(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        return failure.getClass().getName() + ": " + (message.length() > 160 ? message.substring(0, 160) + "…" : message);
    }

    private void recordUpstreamTime(HttpServletRequest request) {
        if (request.getAttribute(UPSTREAM_START_ATTRIBUTE) instanceof Long start) {
            long end = System.nanoTime();
            request.setAttribute(UPSTREAM_MILLIS_ATTRIBUTE, TimeUnit.NANOSECONDS.toMillis(end - start));
            Duration firstByte = request.getAttribute(UPSTREAM_FIRST_BYTE_ATTRIBUTE) instanceof Long at
                    ? Duration.ofNanos(at - start) : null;
            observer.exchangeEnded(firstByte, Duration.ofNanos(end - start));
        }
    }

    private static boolean isTimeout(Throwable failure) {
        return !isConnectFailure(failure) && hasCause(failure, TimeoutException.class);
    }

    private static boolean isConnectFailure(Throwable failure) {
        return hasCause(failure, ConnectException.class) || hasCause(failure, NoRouteToHostException.class)
                || hasCause(failure, SocketTimeoutException.class) || hasCause(failure, UnresolvedAddressException.class);
    }

    private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
