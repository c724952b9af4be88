package dev.llamashim.servlet;

import dev.llamashim.core.RepairOptions;
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
import jakarta.servlet.ServletOutputStream;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One shimmed request, from handing the request down the chain to writing the client's answer.
 * The downstream is asked for one JSON answer ({@code stream:false}, mode {@code synthesize}) or
 * for its own stream (modes {@code repair} and {@code auto}); in {@code auto}, a refusal to stream
 * is answered by asking once more with {@code stream:false}. The downstream may answer on the
 * calling thread, or later from any thread through {@code AsyncContext.complete()}, or in a later
 * dispatch it asks for with {@code AsyncContext.dispatch()}; either way the client is answered
 * exactly once. While an async downstream works, heartbeats (when on) start the stream early and
 * keep it alive; a failed heartbeat means the client is gone, and the downstream's listeners hear
 * of it.
 */
final class ShimExchange implements AsyncListener {

    private static final System.Logger LOG = System.getLogger(ShimExchange.class.getName());
    /** Request attribute holding the exchange, so the dispatch a downstream asks for finds it. */
    private static final String EXCHANGE_ATTRIBUTE = ShimExchange.class.getName();
    private static final byte[] HEARTBEAT = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final StreamSynthesizer synthesizer;
    private final ShimPlan plan;
    private final byte[] clientBody;
    private final ShimSettings settings;
    private final RefusalMemory refusals;
    private final ScheduledExecutorService heartbeats;
    private final RequestRecorder recorder;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile AsyncContext async;
    private volatile DownstreamAsyncContext downstreamContext;
    private volatile boolean clientGone;
    // The attempt under way: what the downstream was given, and (when it was asked to stream) the repairer.
    private volatile ShimmedRequest shimmed;
    private volatile CapturingResponse capture;
    private volatile RepairingOutputStream repairing;
    private boolean awaitingDispatch;
    private boolean retryPending;
    private volatile boolean retried;
    /** The refusal that made this exchange ask again, once it did. */
    private volatile RetryDecision refusal;
    /** What mode {@code auto} decided about the stream request's answer that was not a stream, once it did. */
    private volatile RetryDecision judged;
    private boolean writingBlocking;
    private boolean openingStream;
    private Set<String> attributesBefore = Set.of();
    private NonBlockingWriter stream;
    private ScheduledFuture<?> nextHeartbeat;

    /**
     * @param plan what the request asks for, with its {@code stream:false} body
     * @param clientBody the request body as the client sent it (for the model server's own stream)
     * @param refusals what mode {@code auto} learned of model servers (refusals, and statuses that are none), or {@code null}
     * @param recorder ends the request's record once the client's answer is decided
     */
    ShimExchange(HttpServletRequest request, HttpServletResponse response, StreamSynthesizer synthesizer,
            ShimPlan plan, byte[] clientBody, ShimSettings settings, RefusalMemory refusals,
            ScheduledExecutorService heartbeats, RequestRecorder recorder) {
        this.request = request;
        this.response = response;
        this.synthesizer = synthesizer;
        this.plan = plan;
        this.clientBody = clientBody;
        this.settings = settings;
        this.refusals = refusals;
        this.heartbeats = heartbeats;
        this.recorder = recorder;
    }

    /** Hands the request down the chain; answers at once if the downstream stayed synchronous. */
    void run(FilterChain chain) throws IOException, ServletException {
        request.setAttribute(EXCHANGE_ATTRIBUTE, this);
        // A stream:false request (normalize_non_stream) is answered with JSON in every mode.
        boolean stream = plan.stream() && switch (settings.mode()) {
            case SYNTHESIZE -> false;
            case REPAIR -> true;
            case AUTO -> !refusals.refused(request.getRequestURI(), plan.model());
        };
        if (stream && settings.mode() == Mode.AUTO) {
            attributesBefore = Set.copyOf(Collections.list(request.getAttributeNames()));
        }
        attempt(chain, stream);
    }

    /** Asks the downstream for its own stream ({@code stream}) or for one JSON answer. */
    private void attempt(FilterChain chain, boolean stream) throws IOException, ServletException {
        CapturingResponse held = new CapturingResponse(response, (int) settings.maxResponseBytes(), this::callBack);
        repairing = stream ? held.repairWith(this, plan.repairOptions(settings.textToolCalls())) : null;
        capture = held;
        shimmed = new ShimmedRequest(request, stream ? clientBody : plan.upstreamBody(), this, held);
        downstream(chain, shimmed, held);
    }

    /**
     * The container's dispatch that the downstream asked for with {@code AsyncContext.dispatch()}
     * (Spring MVC's async results end so): the downstream writes its answer now. Or the dispatch
     * this exchange asked for to ask the downstream again, with {@code stream:false}.
     */
    void runDispatch(FilterChain chain, ServletRequest dispatchedRequest, ServletResponse dispatchedResponse)
            throws IOException, ServletException {
        boolean retry;
        synchronized (this) {
            awaitingDispatch = false;
            retry = retryPending;
            retryPending = false;
        }
        if (retry) {
            attempt(chain, false);
        } else {
            downstream(chain, dispatchedRequest, dispatchedResponse);
        }
    }

    /** The exchange waiting for a dispatch (its downstream's, or its own retry), if {@code request} carries one. */
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
            if (!capture.overflowed() && !isStreamed()) {
                throw e;
            }
            // Past max-response-bytes (ours to answer: 502), or a repaired stream the downstream
            // could not finish (the client has heard of it in the stream).
        }
        if (!downstreamDone()) {
            return;
        }
        if (answered.compareAndSet(false, true)) {
            if (async == null) {
                finishOnThisThread(chain);
                return;
            }
            // Answered in a dispatch after an async cycle: the request needs a new cycle to write in.
            AsyncContext fresh = request.startAsync(request, response);
            fresh.addListener(this);
            async = fresh;
            finishAttempt();
        }
    }

    /** The downstream answered without going async: the client's answer is written on this thread. */
    private void finishOnThisThread(FilterChain chain) throws IOException, ServletException {
        if (isStreamed()) {
            repairing.finish(null);
            return;
        }
        CapturedResponse captured = capture.captured();
        if (isRefusal(captured)) {
            startRetry();
            attempt(chain, false);
            return;
        }
        ResponseSender.send(request, response, answer(captured));
    }

    /**
     * The downstream is done and the request is async: the repaired stream ends, or the downstream
     * is asked again in a new dispatch, or the client gets its answer.
     */
    private void finishAttempt() {
        synchronized (this) {
            if (retryPending) {
                // The downstream ran again without this filter: it is not mapped for ASYNC dispatches.
                retryPending = false;
                awaitingDispatch = false;
                LOG.log(System.Logger.Level.WARNING, "mode auto could not ask the model server again with stream:false,"
                        + " because ToolStreamFilter is not mapped for ASYNC dispatches: map it for both REQUEST and ASYNC");
            }
        }
        if (isStreamed()) {
            synchronized (this) {
                cancelHeartbeat();
                if (stream != null) {
                    stream.continueOn(async);
                }
            }
            repairing.finish(async);
            return;
        }
        CapturedResponse captured = capture.captured();
        if (isRefusal(captured)) {
            startRetry();
            synchronized (this) {
                retryPending = true;
                awaitingDispatch = true;
            }
            async.dispatch();
            return;
        }
        sendAnswer(answer(captured));
    }

    private boolean isStreamed() {
        RepairingOutputStream attempt = repairing;
        return attempt != null && attempt.streamed();
    }

    /** Whether the downstream, asked to stream in {@code auto} mode, refused to ({@link RefusalRule}). */
    private boolean isRefusal(CapturedResponse captured) {
        if (repairing == null || settings.mode() != Mode.AUTO || retried) {
            return false;
        }
        RetryDecision decision = RefusalRule.judge(captured,
                refusals.knownNotARefusal(request.getRequestURI(), plan.model(), captured.status()));
        LOG.log(System.Logger.Level.DEBUG, "mode auto, {0}: {1}", request.getRequestURI(), decision);
        judged = decision;
        if (decision.retry()) {
            refusal = decision;
        }
        return decision.retry();
    }

    /** Before asking again: the request looks to the downstream as it did the first time. */
    private void startRetry() {
        synchronized (this) {
            retried = true;
            cancelHeartbeat();
        }
        answered.set(false);
        for (String name : Collections.list(request.getAttributeNames())) {
            if (!attributesBefore.contains(name)) {
                request.removeAttribute(name);
            }
        }
    }

    /**
     * Starts the client's stream for a repaired answer, with {@code headers}: the writer to queue
     * events on when an async cycle is going, or {@code null} when the downstream writes on the
     * request's own thread, and events are to be written blocking to {@link #clientOutput()}.
     */
    NonBlockingWriter startRepairedStream(List<Map.Entry<String, String>> headers) throws IOException {
        boolean blocking;
        synchronized (this) {
            if (stream != null) {
                return stream; // Heartbeats started it already.
            }
            blocking = async == null || !shimmed.downstreamWentAsync();
            if (blocking) {
                writingBlocking = true;
                cancelHeartbeat();
            }
            openingStream = true; // Heartbeats wait for it.
        }
        if (blocking) {
            ResponseSender.writeStreamHead(response, headers);
            return null;
        }
        // Not under this object's lock: the container takes its own, which its threads may hold
        // while they wait for this one.
        NonBlockingWriter opened = ResponseSender.startStream(async, response, headers, this::clientFailed);
        synchronized (this) {
            stream = opened;
        }
        return opened;
    }

    /**
     * Runs a downstream {@code WriteListener} call on a container thread of the request's async
     * cycle, as a container would, rather than inside the downstream's own call.
     */
    void callBack(Runnable call) {
        AsyncContext context = async;
        if (context == null) {
            throw new IllegalStateException("setWriteListener needs an async request (call startAsync first)");
        }
        context.start(call);
    }

    /** The client's output, for a repaired stream written blocking. */
    ServletOutputStream clientOutput() throws IOException {
        return response.getOutputStream();
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
            finishAttempt();
        }
    }

    /** The async downstream called {@code dispatch()}: heartbeats pause until the dispatch has run. */
    synchronized void downstreamDispatched() {
        awaitingDispatch = true;
        shimmed.asyncCycleEnded();
        cancelHeartbeat();
    }

    private void sendAnswer(ShimAnswer answer) {
        if (clientGone) {
            NonBlockingWriter.completeQuietly(async);
            return;
        }
        synchronized (this) {
            cancelHeartbeat();
            if (stream != null) {
                byte[] events = answer.asEvents();
                stream.continueOn(async);
                stream.close(events, 0, events.length);
                return;
            }
        }
        ResponseSender.send(async, response, answer);
    }

    /**
     * The client's answer to what the downstream held, recorded. A successful retry is remembered as a
     * refusal; one that failed as the refusal did shows that status was none.
     */
    private ShimAnswer answer(CapturedResponse captured) {
        if (retried && captured.status() == 200) {
            refusals.remember(request.getRequestURI(), plan.model());
        } else if (retried && RefusalRule.failedTheSameWay(refusal, captured)) {
            refusals.rememberNotARefusal(request.getRequestURI(), plan.model(), captured.status());
        }
        RepairOptions options = plan.repairOptions(settings.textToolCalls());
        ShimAnswer answer = plan.stream() ? ShimAnswer.of(captured, synthesizer, options) : ShimAnswer.normalized(captured, options);
        ShimOutcome outcome = retried && answer.outcome() == ShimOutcome.SYNTHESIZED
                ? ShimOutcome.RETRIED_SYNTHESIZED : answer.outcome();
        recorder.end(outcome, answer.ownErrorCode(), answer.repairs(), retryReason(), clientGone);
        return answer;
    }

    /**
     * The repaired stream is ending (its last events are about to go out): what was mended is
     * recorded, or the error code of the event that ended it.
     */
    void repairEnded(RepairCounts repairs, String errorCode) {
        recorder.end(errorCode == null ? ShimOutcome.REPAIRED : ShimOutcome.ERROR, errorCode, repairs, null, clientGone);
    }

    /** Why mode {@code auto} asked again or did not, once it judged an answer that was not a stream; else {@code null}. */
    private String retryReason() {
        RetryDecision decision = judged;
        return decision == null ? null : decision.reason().label();
    }

    private void cancelHeartbeat() {
        if (nextHeartbeat != null) {
            nextHeartbeat.cancel(false);
        }
    }

    private synchronized void scheduleHeartbeat() {
        if (!writingBlocking) {
            nextHeartbeat = heartbeats.schedule(this::heartbeat, settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void heartbeat() {
        synchronized (this) {
            if (answered.get() || clientGone || awaitingDispatch || writingBlocking) {
                return;
            }
            if (stream == null && openingStream) {
                scheduleHeartbeat(); // The repaired stream is opening; it carries the next one.
                return;
            }
            try {
                if (stream == null) {
                    stream = ResponseSender.startStream(async, response, ShimAnswer.STREAM_HEADERS, this::clientFailed);
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
            recorder.end(ShimOutcome.ERROR, timeout.ownErrorCode(), RepairCounts.NONE, retryReason(), clientGone);
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
            cancelHeartbeat();
            if (awaitingDispatch && !answered.get()) {
                LOG.log(System.Logger.Level.WARNING, "the downstream ended with AsyncContext.dispatch(), but ToolStreamFilter"
                        + " is not mapped for ASYNC dispatches, so its answer never reached the client: map the filter for"
                        + " both REQUEST and ASYNC dispatches");
            }
        }
        // A request that ended without an answer decided (the client went away first, or the above).
        recorder.end(ShimOutcome.ERROR, "unanswered", RepairCounts.NONE, retryReason(), clientGone);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // A new async cycle keeps the listeners it is given; this one needs no re-registration.
    }
}
