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
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

/**
 * One shimmed request, from handing it to the forwarder (the servlet down the chain that
 * forwards to the model server) to the client's answer. The forwarder is asked for one JSON
 * answer ({@code stream:false}, mode {@code synthesize}) or for its own stream (modes
 * {@code repair} and {@code auto}); in {@code auto}, a refusal to stream is answered by asking
 * once more with {@code stream:false}. The forwarder may answer on the calling thread, or later
 * from any thread through {@code AsyncContext.complete()}, or in a dispatch it asks for with
 * {@code AsyncContext.dispatch()}; either way the client is answered exactly once.
 *
 * <p>Its state is one {@link Phase}, guarded by one {@link ShimLock}: every event decides under
 * the lock what to do, and does it (container calls, the forwarder's listeners, the client's
 * stream) after releasing it. docs/ARCHITECTURE.md has the table of phases.
 */
final class ShimExchange implements AsyncListener, ForwarderEvents {

    private static final System.Logger LOG = System.getLogger(ShimExchange.class.getName());
    /** Request attribute holding the exchange, so the dispatch the forwarder asks for finds it. */
    private static final String EXCHANGE_ATTRIBUTE = ShimExchange.class.getName();

    /** Where the exchange stands. */
    enum Phase {
        /** The forwarder runs on a container thread of the request; when it returns without going async, its answer is all there. */
        FORWARDING,
        /** The forwarder's async cycle is going: it ends with {@code complete()} or {@code dispatch()}, from any thread. Heartbeats run. */
        WAITING,
        /** The forwarder ended its async cycle with {@code dispatch()}: the filter runs it again in that dispatch. */
        AWAITING_DISPATCH,
        /** Mode {@code auto} saw a refusal to stream and asked for a dispatch, in which it asks again with {@code stream:false}. */
        RETRY_DISPATCH,
        /** The forwarder is done: its answer is judged, and the exchange may ask again. A timeout now still answers instead. */
        ANSWERING,
        /** The client's answer is decided (sent, timed out, or the request ended): no event changes anything. */
        DONE
    }

    /**
     * One try at the forwarder: what it was given and what it writes to.
     *
     * @param retry whether this is mode {@code auto}'s second try, with {@code stream:false}
     * @param pipe the repair pipe when the model server was asked to stream, else {@code null}
     */
    private record Attempt(boolean retry, ForwarderRequest request, ForwarderResponse response, RepairPipe pipe) {
        boolean streamed() {
            return pipe != null && pipe.streamed();
        }
    }

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final StreamSynthesizer synthesizer;
    private final ShimPlan plan;
    private final byte[] clientBody;
    private final ShimSettings settings;
    private final RefusalMemory refusals;
    private final ScheduledExecutorService heartbeats;
    private final RequestRecorder recorder;
    private final ClientStream client;
    private final ShimLock lock = new ShimLock();
    /** Signalled when a call on the request's async cycle from another thread returns. */
    private final Condition callReturned = lock.newCondition();
    // Guarded by lock.
    private Phase phase = Phase.FORWARDING;
    private Attempt attempt;
    /** The container's async cycle last started for this request, or {@code null} before the first. */
    private AsyncContext async;
    private ScheduledFuture<?> nextHeartbeat;
    /** The request's attributes before the first try, in mode {@code auto}; a retry removes any other. */
    private Set<String> attributesBefore = Set.of();
    /** The refusal that made this exchange ask again, once it did. */
    private RetryDecision refusal;
    /** What mode {@code auto} decided about the stream request's answer that was not a stream, once it did. */
    private RetryDecision judged;
    /** Calls on {@link #async} under way from threads the container does not run the request on. */
    private int callsUnderWay;
    /** Whether the container ends the request (its onTimeout, onError or onComplete came): no call on its cycle starts any more. */
    private boolean containerEnds;

    /**
     * @param plan what the request asks for, with its {@code stream:false} body
     * @param clientBody the request body as the client sent it (for the model server's own stream)
     * @param refusals what mode {@code auto} learned of model servers (refusals, and statuses that are none), or {@code null}
     * @param heartbeats the timer for heartbeats, or {@code null} for none
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
        this.client = new ClientStream(response, this::clientFailed);
    }

    /** Hands the request to the forwarder; answers at once if the forwarder stayed synchronous. */
    void run(FilterChain chain) throws IOException, ServletException {
        request.setAttribute(EXCHANGE_ATTRIBUTE, this);
        // A stream:false request (normalize_non_stream) is answered with JSON in every mode.
        boolean stream = plan.stream() && switch (settings.mode()) {
            case SYNTHESIZE -> false;
            case REPAIR -> true;
            case AUTO -> !refusals.refused(request.getRequestURI(), plan.model());
        };
        Set<String> before = stream && settings.mode() == Mode.AUTO
                ? Set.copyOf(Collections.list(request.getAttributeNames())) : Set.of();
        Attempt first = newAttempt(stream, false);
        lock.run(() -> {
            attributesBefore = before;
            attempt = first;
        });
        forward(chain, first, first.request(), first.response());
    }

    /** A try at the forwarder: asking for its own stream ({@code stream}) or for one JSON answer. */
    private Attempt newAttempt(boolean stream, boolean retry) {
        ForwarderResponse held = new ForwarderResponse(response, (int) settings.maxResponseBytes(), this::onContainerThread);
        RepairPipe pipe = stream
                ? held.repairInto(client, plan.repairOptions(settings.textToolCalls()), this::onContainerThread)
                : null;
        ForwarderRequest forwarded = new ForwarderRequest(request, stream ? clientBody : plan.upstreamBody(), held, !stream, this);
        return new Attempt(retry, forwarded, held, pipe);
    }

    /**
     * The container's dispatch the forwarder asked for with {@code AsyncContext.dispatch()}
     * (Spring MVC's async results end so): the forwarder writes its answer now. Or the dispatch
     * this exchange asked for to ask the forwarder again, with {@code stream:false}.
     */
    void runDispatch(FilterChain chain, ServletRequest dispatchedRequest, ServletResponse dispatchedResponse)
            throws IOException, ServletException {
        Phase was;
        Attempt current;
        lock.lock();
        try {
            was = phase;
            if (was == Phase.AWAITING_DISPATCH || was == Phase.RETRY_DISPATCH) {
                phase = Phase.FORWARDING;
            }
            current = attempt;
        } finally {
            lock.unlock();
        }
        if (was == Phase.AWAITING_DISPATCH || was == Phase.RETRY_DISPATCH) {
            client.resumeInDispatch();
        }
        switch (was) {
            case RETRY_DISPATCH -> {
                Attempt retry = retryAttempt();
                forward(chain, retry, retry.request(), retry.response());
            }
            case AWAITING_DISPATCH -> forward(chain, current, dispatchedRequest, dispatchedResponse);
            default -> chain.doFilter(dispatchedRequest, dispatchedResponse);
        }
    }

    /** The exchange waiting for a dispatch (its forwarder's, or its own retry), if {@code request} carries one. */
    static ShimExchange awaitingDispatch(ServletRequest request) {
        if (request.getAttribute(EXCHANGE_ATTRIBUTE) instanceof ShimExchange exchange) {
            Phase phase = exchange.lock.get(() -> exchange.phase);
            return phase == Phase.AWAITING_DISPATCH || phase == Phase.RETRY_DISPATCH ? exchange : null;
        }
        return null;
    }

    /** Runs the forwarder; if it returns without an async cycle going, its answer is complete. */
    private void forward(FilterChain chain, Attempt current, ServletRequest forwarderRequest,
            ServletResponse forwarderResponse) throws IOException, ServletException {
        ShimLock.assertNoneHeld();
        try {
            chain.doFilter(forwarderRequest, forwarderResponse);
        } catch (IOException | ServletException | RuntimeException e) {
            if (!current.response().overflowed() && !current.streamed()) {
                throw e;
            }
            // Past max-response-bytes (ours to answer: 502), or a repaired stream the forwarder
            // could not finish (the client has heard of it in the stream).
        }
        AsyncContext cycle;
        lock.lock();
        try {
            if (phase != Phase.FORWARDING) {
                return; // It went async, or asked for a dispatch, or already answered from another thread.
            }
            phase = Phase.ANSWERING;
            cycle = async;
        } finally {
            lock.unlock();
        }
        if (cycle == null) {
            answerOnThisThread(chain, current);
            return;
        }
        // Answered in a dispatch after an async cycle: the request needs a new cycle to write in.
        AsyncContext fresh = request.startAsync(request, response);
        fresh.addListener(this);
        lock.run(() -> async = fresh);
        client.asyncCycle(fresh);
        answer(current);
    }

    /** The forwarder answered without any async cycle: the client's answer is written from this thread. */
    private void answerOnThisThread(FilterChain chain, Attempt current) throws IOException, ServletException {
        if (current.streamed()) {
            endRepairedStream(current);
            return;
        }
        ForwarderAnswer held = current.response().answer();
        if (isRefusal(current, held)) {
            forgetFirstTry();
            Attempt retry = retryAttempt();
            lock.run(() -> phase = Phase.FORWARDING);
            forward(chain, retry, retry.request(), retry.response());
            return;
        }
        ShimAnswer answer = answer(current, held);
        lock.run(() -> phase = Phase.DONE);
        record(current, answer);
        if (request.isAsyncSupported()) {
            client.asyncCycle(request.startAsync(request, response));
        } else {
            LOG.log(System.Logger.Level.DEBUG, "filter chain is not async-supported; writing the answer blocking");
        }
        client.answer(answer);
    }

    /**
     * The forwarder is done and the request is async: the repaired stream ends, or the forwarder
     * is asked again in a new dispatch, or the client gets its answer.
     */
    private void answer(Attempt current) {
        if (current.streamed()) {
            endRepairedStream(current);
            return;
        }
        ForwarderAnswer held = current.response().answer();
        if (isRefusal(current, held)) {
            forgetFirstTry();
            AsyncContext cycle = lock.get(() -> {
                if (phase != Phase.ANSWERING || containerEnds) {
                    return null; // The async timeout answered first, or the client went away.
                }
                phase = Phase.RETRY_DISPATCH;
                callsUnderWay++;
                return async;
            });
            if (cycle != null) {
                try {
                    client.leaveCycle();
                    ShimLock.assertNoneHeld();
                    cycle.dispatch();
                } finally {
                    endCycleCall();
                }
            }
            return;
        }
        ShimAnswer answer = answer(current, held);
        if (decided()) {
            record(current, answer);
            client.answer(answer);
        }
    }

    /**
     * Ends {@link Phase#ANSWERING}: whether this thread answers the client (else the async
     * timeout answered first). From here only writing is left, at the client's pace, so the
     * container's async timeout is lifted first; one that fires meanwhile still answers.
     */
    private boolean decided() {
        keepCycleUntilWritten();
        return lock.get(() -> {
            if (phase != Phase.ANSWERING) {
                return false;
            }
            phase = Phase.DONE;
            cancelHeartbeat();
            return true;
        });
    }

    /**
     * The client's answer is decided; only writing it is left, at the client's pace: the
     * container's async timeout must not cut it off.
     */
    private void keepCycleUntilWritten() {
        AsyncContext cycle = beginCycleCall();
        if (cycle == null) {
            return;
        }
        try {
            cycle.setTimeout(0);
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "the async timeout could not be lifted", e);
        } finally {
            endCycleCall();
        }
    }

    /**
     * The request's async cycle, for a call from a thread the container does not run the request
     * on, or {@code null} once the container ends the request (the call must not be made: Tomcat
     * reuses the request's objects for the next request, which a late call would reach). Counted:
     * {@link #endCycleCall()} follows the call, and {@link #containerEnds()} waits for it.
     */
    private AsyncContext beginCycleCall() {
        return lock.get(() -> {
            if (containerEnds || async == null) {
                return null;
            }
            callsUnderWay++;
            return async;
        });
    }

    private void endCycleCall() {
        lock.run(() -> {
            callsUnderWay--;
            callReturned.signalAll();
        });
    }

    /**
     * The container is ending the request (one of its callbacks came): no call on the cycle
     * starts from now on, and this returns once those under way have, waiting at most half a second.
     */
    private void containerEnds() {
        lock.lock();
        try {
            containerEnds = true;
            long left = TimeUnit.MILLISECONDS.toNanos(500);
            while (callsUnderWay > 0 && left > 0) {
                left = callReturned.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** The repaired stream ends: what the repairer held back goes out, and the client's response ends. */
    private void endRepairedStream(Attempt current) {
        RepairPipe.Ending ending = current.pipe().finish();
        if (!decided()) {
            return;
        }
        String error = ending.errorCode();
        endRecord(error == null ? ShimOutcome.REPAIRED : ShimOutcome.ERROR, error, ending.repairs(), null);
        client.close(ending.tail());
    }

    /** Whether the forwarder, asked to stream in {@code auto} mode, refused to ({@link RefusalRule}). */
    private boolean isRefusal(Attempt current, ForwarderAnswer held) {
        if (current.pipe() == null || settings.mode() != Mode.AUTO || current.retry() || lock.get(() -> refusal) != null) {
            return false; // Asked to stream or not, the forwarder is asked again at most once.
        }
        RetryDecision decision = RefusalRule.judge(held,
                refusals.knownNotARefusal(request.getRequestURI(), plan.model(), held.status()));
        LOG.log(System.Logger.Level.DEBUG, "mode auto, {0}: {1}", request.getRequestURI(), decision);
        lock.run(() -> {
            judged = decision;
            if (decision.retry()) {
                refusal = decision;
            }
        });
        return decision.retry();
    }

    /** Before asking again: the request looks to the forwarder as it did the first time. */
    private void forgetFirstTry() {
        Set<String> before = lock.get(() -> {
            cancelHeartbeat();
            return attributesBefore;
        });
        for (String name : Collections.list(request.getAttributeNames())) {
            if (!before.contains(name)) {
                request.removeAttribute(name);
            }
        }
    }

    /** The second try, with {@code stream:false}, now the current one. */
    private Attempt retryAttempt() {
        Attempt retry = newAttempt(false, true);
        lock.run(() -> attempt = retry);
        return retry;
    }

    /**
     * The client's answer to what the forwarder held. A successful retry is remembered as a
     * refusal; one that failed as the refusal did shows that status was none.
     */
    private ShimAnswer answer(Attempt current, ForwarderAnswer held) {
        RetryDecision firstRefusal = lock.get(() -> refusal);
        if (current.retry() && held.status() == 200) {
            refusals.remember(request.getRequestURI(), plan.model());
        } else if (current.retry() && RefusalRule.failedTheSameWay(firstRefusal, held)) {
            refusals.rememberNotARefusal(request.getRequestURI(), plan.model(), held.status());
        }
        RepairOptions options = plan.repairOptions(settings.textToolCalls());
        ShimAnswer answer = plan.stream() ? ShimAnswer.of(held, synthesizer, options) : ShimAnswer.normalized(held, options);
        return answer;
    }

    /** Ends the request's record with the answer the client gets. */
    private void record(Attempt current, ShimAnswer answer) {
        ShimOutcome outcome = current.retry() && answer.outcome() == ShimOutcome.SYNTHESIZED
                ? ShimOutcome.RETRIED_SYNTHESIZED : answer.outcome();
        endRecord(outcome, answer.ownErrorCode(), answer.repairs(), retryReason());
    }

    /**
     * Ends the request's record from any thread: with the request's attributes while the
     * container has not begun to end the request (its callbacks wait meanwhile), else without.
     */
    private void endRecord(ShimOutcome outcome, String errorCode, RepairCounts repairs, String retryReason) {
        boolean live = lock.get(() -> {
            if (containerEnds) {
                return false;
            }
            callsUnderWay++;
            return true;
        });
        try {
            recorder.end(outcome, errorCode, repairs, retryReason, client.gone(), live);
        } finally {
            if (live) {
                endCycleCall();
            }
        }
    }

    /** Why mode {@code auto} asked again or did not, once it judged an answer that was not a stream; else {@code null}. */
    private String retryReason() {
        RetryDecision decision = lock.get(() -> judged);
        return decision == null ? null : decision.reason().label();
    }

    /**
     * Runs a forwarder {@code WriteListener} call on a container thread of the request's async
     * cycle, as a container would, rather than inside the forwarder's own call.
     */
    private void onContainerThread(Runnable call) {
        if (lock.get(() -> async) == null) {
            throw new IllegalStateException("setWriteListener needs an async request (call startAsync first)");
        }
        AsyncContext cycle = beginCycleCall();
        if (cycle == null) {
            return; // The request has ended: the forwarder hears of it as an error, or no more.
        }
        try {
            ShimLock.assertNoneHeld();
            cycle.start(call);
        } finally {
            endCycleCall();
        }
    }

    @Override
    public void wentAsync(AsyncContext cycle) {
        Phase was = lock.get(() -> phase);
        if (was == Phase.RETRY_DISPATCH) {
            // The forwarder ran again without this filter: it is not mapped for ASYNC dispatches.
            LOG.log(System.Logger.Level.WARNING, "mode auto could not ask the model server again with stream:false,"
                    + " because ToolStreamFilter is not mapped for ASYNC dispatches: map it for both REQUEST and ASYNC");
        }
        boolean beat = lock.get(() -> {
            async = cycle;
            if (phase == Phase.FORWARDING || phase == Phase.RETRY_DISPATCH) {
                phase = Phase.WAITING;
            }
            return phase == Phase.WAITING && heartbeats != null;
        });
        ShimLock.assertNoneHeld();
        cycle.addListener(this);
        client.asyncCycle(cycle);
        // On the thread that started the cycle, a container's: from now on any thread may open the stream.
        client.listen();
        if (beat) {
            lock.run(this::scheduleHeartbeat);
        }
    }

    @Override
    public void completed() {
        Attempt current = lock.get(() -> {
            if (phase != Phase.WAITING) {
                return null; // Answered already (a timeout), or a second complete().
            }
            phase = Phase.ANSWERING;
            cancelHeartbeat();
            return attempt;
        });
        if (current != null) {
            answer(current);
        }
    }

    @Override
    public boolean dispatching() {
        boolean waits = lock.get(() -> {
            if (phase != Phase.WAITING || containerEnds) {
                return false;
            }
            phase = Phase.AWAITING_DISPATCH;
            cancelHeartbeat();
            callsUnderWay++;
            return true;
        });
        if (waits) {
            // No heartbeat from now on, and no write under way when the container's dispatch starts.
            client.leaveCycle();
        }
        return waits;
    }

    @Override
    public void dispatched() {
        endCycleCall();
    }

    /** Under the lock. */
    private void cancelHeartbeat() {
        if (nextHeartbeat != null) {
            nextHeartbeat.cancel(false);
            nextHeartbeat = null;
        }
    }

    /** Under the lock. */
    private void scheduleHeartbeat() {
        if (phase == Phase.WAITING) {
            nextHeartbeat = heartbeats.schedule(this::heartbeat, settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void heartbeat() {
        if (lock.get(() -> phase) != Phase.WAITING) {
            return;
        }
        client.heartbeat();
        lock.run(this::scheduleHeartbeat);
    }

    /** Writing to the client failed: it is gone. The forwarder's listeners hear of it. */
    private void clientFailed(Throwable failure) {
        Attempt current = lock.get(() -> attempt);
        if (current != null) {
            current.request().clientGone(failure);
        }
    }

    @Override
    public void onError(AsyncEvent event) {
        // The container saw the client go away. The forwarder's own listeners hear the same event.
        containerEnds();
        client.clientWentAway();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        containerEnds();
        boolean answers = lock.get(() -> {
            if (phase == Phase.DONE) {
                return false;
            }
            phase = Phase.DONE;
            cancelHeartbeat();
            return true;
        });
        if (!answers) {
            // Answered already: the container ends the response when this returns (lifting the
            // timeout did not stop it), so what is left of the answer goes out now.
            client.finishWithinCallback();
            return;
        }
        ShimAnswer timeout = ShimAnswer.error(new OpenAiError(504,
                "the model server did not answer before the request's async timeout",
                "upstream_timeout", "upstream_timeout"));
        recorder.end(ShimOutcome.ERROR, timeout.ownErrorCode(), RepairCounts.NONE, retryReason(), client.gone());
        client.asyncCycle(event.getAsyncContext());
        client.answerTimeout(timeout);
    }

    @Override
    public void onComplete(AsyncEvent event) {
        Phase was = lock.get(() -> {
            Phase before = phase;
            phase = Phase.DONE;
            cancelHeartbeat();
            return before;
        });
        if (was == Phase.AWAITING_DISPATCH || was == Phase.RETRY_DISPATCH) {
            LOG.log(System.Logger.Level.WARNING, "the forwarder's answer, or mode auto's second try, waited for an ASYNC"
                    + " dispatch that never reached ToolStreamFilter, so the client got no answer: map the filter for"
                    + " both REQUEST and ASYNC dispatches");
        }
        containerEnds();
        client.containerEnded();
        // A request that ended without an answer decided (the client went away first, or the above).
        recorder.end(ShimOutcome.ERROR, "unanswered", RepairCounts.NONE, retryReason(), client.gone());
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // A new async cycle keeps the listeners it is given; this one needs no re-registration.
    }
}
