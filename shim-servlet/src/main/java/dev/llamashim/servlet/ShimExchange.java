package dev.llamashim.servlet;

import dev.llamashim.core.StreamSynthesizer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One shimmed request, from handing the rewritten request down the chain to writing the client's
 * answer. The downstream may answer on the calling thread, or later from any thread through
 * {@code AsyncContext.complete()}, or in a later dispatch it asks for with
 * {@code AsyncContext.dispatch()}; either way the client is answered exactly once. While an async
 * downstream works, heartbeats (when on) start the stream early and keep it alive; a failed
 * heartbeat means the client is gone, and the downstream's listeners hear of it.
 */
final class ShimExchange implements AsyncListener {

    private static final System.Logger LOG = System.getLogger(ShimExchange.class.getName());
    /** Request attribute holding the exchange, so the dispatch a downstream asks for finds it. */
    private static final String EXCHANGE_ATTRIBUTE = ShimExchange.class.getName();
    private static final byte[] HEARTBEAT = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final StreamSynthesizer synthesizer;
    private final boolean includeUsage;
    private final CapturingResponse capture;
    private final ScheduledExecutorService heartbeats;
    private final Duration heartbeat;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile AsyncContext async;
    private volatile DownstreamAsyncContext downstreamContext;
    private volatile boolean clientGone;
    private ShimmedRequest shimmed;
    private boolean awaitingDispatch;
    private NonBlockingWriter stream;
    private ScheduledFuture<?> nextHeartbeat;

    ShimExchange(HttpServletRequest request, HttpServletResponse response, StreamSynthesizer synthesizer,
            boolean includeUsage, ShimSettings settings, ScheduledExecutorService heartbeats) {
        this.request = request;
        this.response = response;
        this.synthesizer = synthesizer;
        this.includeUsage = includeUsage;
        this.capture = new CapturingResponse(response, (int) settings.maxResponseBytes());
        this.heartbeats = heartbeats;
        this.heartbeat = settings.heartbeat();
    }

    /** Hands the rewritten request down the chain; answers at once if the downstream stayed synchronous. */
    void run(FilterChain chain, byte[] upstreamBody) throws IOException, ServletException {
        shimmed = new ShimmedRequest(request, upstreamBody, this);
        request.setAttribute(EXCHANGE_ATTRIBUTE, this);
        downstream(chain, shimmed, capture);
    }

    /**
     * The container's dispatch that the downstream asked for with {@code AsyncContext.dispatch()}
     * (Spring MVC's async results end so): the downstream writes its answer now.
     */
    void runDispatch(FilterChain chain, ServletRequest dispatchedRequest, ServletResponse dispatchedResponse)
            throws IOException, ServletException {
        synchronized (this) {
            awaitingDispatch = false;
        }
        downstream(chain, dispatchedRequest, dispatchedResponse);
    }

    /** The exchange waiting for the dispatch its downstream asked for, if {@code request} carries one. */
    static ShimExchange awaitingDispatch(ServletRequest request) {
        if (request.getAttribute(EXCHANGE_ATTRIBUTE) instanceof ShimExchange exchange) {
            synchronized (exchange) {
                return exchange.awaitingDispatch ? exchange : null;
            }
        }
        return null;
    }

    /** Runs the downstream; if it ends without an async cycle going, its answer is complete. */
    private void downstream(FilterChain chain, ServletRequest downstreamRequest, ServletResponse downstreamResponse)
            throws IOException, ServletException {
        try {
            chain.doFilter(downstreamRequest, downstreamResponse);
        } catch (IOException | ServletException | RuntimeException e) {
            if (!capture.overflowed()) {
                throw e;
            }
            // The downstream failed because its answer went past max-response-bytes: ours to answer (502).
        }
        if (!downstreamDone()) {
            return;
        }
        if (answered.compareAndSet(false, true)) {
            if (async == null) {
                ResponseSender.send(request, response, answer());
                return;
            }
            // Answered in a dispatch after an async cycle: the request needs a new cycle to write in.
            AsyncContext fresh = request.startAsync(request, response);
            fresh.addListener(this);
            async = fresh;
            sendAnswer();
        }
    }

    CapturingResponse capture() {
        return capture;
    }

    /** The downstream called {@code startAsync}: the container's context to finish on, and the downstream's view of it. */
    void downstreamWentAsync(AsyncContext real, DownstreamAsyncContext downstream) {
        async = real;
        downstreamContext = downstream;
        real.addListener(this);
        if (heartbeats != null) {
            scheduleHeartbeat();
        }
    }

    /**
     * Whether the downstream, back from a dispatch, left nothing pending: no async cycle going, and
     * no dispatch asked for (another thread may already have asked for the next one).
     */
    private synchronized boolean downstreamDone() {
        return !shimmed.downstreamWentAsync() && !awaitingDispatch;
    }

    /** The async downstream called {@code complete()}: its answer is all there; send the client its own. */
    void downstreamCompleted() {
        if (answered.compareAndSet(false, true)) {
            sendAnswer();
        }
    }

    /** The async downstream called {@code dispatch()}: heartbeats pause until the dispatch has run. */
    synchronized void downstreamDispatched() {
        awaitingDispatch = true;
        shimmed.asyncCycleEnded();
        if (nextHeartbeat != null) {
            nextHeartbeat.cancel(false);
        }
    }

    private void sendAnswer() {
        if (clientGone) {
            NonBlockingWriter.completeQuietly(async);
            return;
        }
        ShimAnswer answer = answer();
        synchronized (this) {
            if (nextHeartbeat != null) {
                nextHeartbeat.cancel(false);
            }
            if (stream != null) {
                byte[] events = answer.asEvents();
                stream.continueOn(async);
                stream.close(events, 0, events.length);
                return;
            }
        }
        ResponseSender.send(async, response, answer);
    }

    private ShimAnswer answer() {
        return ShimAnswer.of(capture.captured(), synthesizer, includeUsage);
    }

    private synchronized void scheduleHeartbeat() {
        nextHeartbeat = heartbeats.schedule(this::heartbeat, heartbeat.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void heartbeat() {
        synchronized (this) {
            if (answered.get() || clientGone || awaitingDispatch) {
                return;
            }
            try {
                if (stream == null) {
                    stream = ResponseSender.startStream(async, response, this::clientFailed);
                }
            } catch (IOException | RuntimeException e) {
                clientFailed(e);
                return;
            }
            stream.send(HEARTBEAT);
        }
        scheduleHeartbeat();
    }

    /** Writing to the client failed: it is gone. The downstream is told, and nothing more is written. */
    private void clientFailed(Throwable failure) {
        clientGone = true;
        DownstreamAsyncContext downstream = downstreamContext;
        if (downstream != null) {
            downstream.clientFailed(failure);
        }
        NonBlockingWriter.completeQuietly(async);
    }

    @Override
    public void onError(AsyncEvent event) {
        // The container saw the client go away. The downstream's own listeners hear the same event.
        clientGone = true;
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        if (answered.compareAndSet(false, true)) {
            ShimAnswer timeout = ShimAnswer.error(new OpenAiError(504,
                    "the model server did not answer before the request's async timeout",
                    "upstream_timeout", "upstream_timeout"));
            synchronized (this) {
                if (stream != null) {
                    byte[] events = timeout.asEvents();
                    stream.close(events, 0, events.length);
                    return;
                }
            }
            ResponseSender.send(event.getAsyncContext(), response, timeout);
        }
    }

    @Override
    public void onComplete(AsyncEvent event) {
        synchronized (this) {
            if (nextHeartbeat != null) {
                nextHeartbeat.cancel(false);
            }
            if (awaitingDispatch && !answered.get()) {
                LOG.log(System.Logger.Level.WARNING, "the downstream ended with AsyncContext.dispatch(), but ToolStreamFilter"
                        + " is not mapped for ASYNC dispatches, so its answer never reached the client: map the filter for"
                        + " both REQUEST and ASYNC dispatches");
            }
        }
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // A new async cycle keeps the listeners it is given; this one needs no re-registration.
    }
}
