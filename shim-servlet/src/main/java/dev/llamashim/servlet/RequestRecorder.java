package dev.llamashim.servlet;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes the one {@link ShimRecord} of a request: sets it as the request's
 * {@link ToolStreamFilter#RECORD_ATTRIBUTE} and tells the {@link ShimListener}, the first time
 * {@link #end} is called (later calls do nothing). As an {@link AsyncListener} it ends a request
 * passed through to an async forwarder when that response completes.
 */
final class RequestRecorder implements AsyncListener {

    private static final System.Logger LOG = System.getLogger(RequestRecorder.class.getName());

    private final HttpServletRequest request;
    private final ShimListener listener;
    private final PathClass pathClass;
    private final long startNanos;
    private final AtomicBoolean ended = new AtomicBoolean();

    private RequestRecorder(HttpServletRequest request, ShimListener listener, PathClass pathClass) {
        this.request = request;
        this.listener = listener;
        this.pathClass = pathClass;
        this.startNanos = System.nanoTime();
    }

    /** Starts the record of {@code request} and tells {@code listener}. */
    static RequestRecorder start(HttpServletRequest request, ShimListener listener, PathClass pathClass) {
        RequestRecorder recorder = new RequestRecorder(request, listener, pathClass);
        try {
            listener.requestStarted(pathClass);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a ShimListener failed in requestStarted", e);
        }
        return recorder;
    }

    /**
     * Ends the record, once. An error a forwarder reported through
     * {@link ToolStreamFilter#OWN_ERROR_ATTRIBUTE} wins over {@code outcome}, and a client the
     * forwarder saw go ({@link ToolStreamFilter#CLIENT_GONE_ATTRIBUTE}) counts as gone.
     *
     * @param errorCode the code of the filter's own error answer, with {@link ShimOutcome#ERROR} only
     * @param retryReason see {@link ShimRecord#retryReason()}
     */
    void end(ShimOutcome outcome, String errorCode, RepairCounts repairs, String retryReason, boolean clientGone) {
        end(outcome, errorCode, repairs, retryReason, clientGone, true);
    }

    /**
     * Ends the record as {@link #end(ShimOutcome, String, RepairCounts, String, boolean)} does, or,
     * with {@code requestLive} false (the container may have ended the request and reused its
     * objects), without reading or setting the request's attributes.
     */
    void end(ShimOutcome outcome, String errorCode, RepairCounts repairs, String retryReason, boolean clientGone,
            boolean requestLive) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        if (requestLive && errorCode == null
                && request.getAttribute(ToolStreamFilter.OWN_ERROR_ATTRIBUTE) instanceof String ownError) {
            outcome = ShimOutcome.ERROR;
            errorCode = ownError;
        }
        boolean gone = clientGone
                || requestLive && Boolean.TRUE.equals(request.getAttribute(ToolStreamFilter.CLIENT_GONE_ATTRIBUTE));
        ShimRecord record = new ShimRecord(pathClass, outcome, errorCode, repairs, retryReason, gone,
                Duration.ofNanos(System.nanoTime() - startNanos));
        if (requestLive) {
            request.setAttribute(ToolStreamFilter.RECORD_ATTRIBUTE, record);
        }
        try {
            listener.requestEnded(record);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a ShimListener failed in requestEnded", e);
        }
    }

    /** Whether {@link #end} was called. */
    boolean ended() {
        return ended.get();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        end(ShimOutcome.PASSED_THROUGH, null, RepairCounts.NONE, null, false);
    }

    @Override
    public void onError(AsyncEvent event) {
        // onComplete follows, and ends the record.
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        // onComplete follows, and ends the record.
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // A forwarder that starts a new async cycle drops the listeners of the last one.
        event.getAsyncContext().addListener(this);
    }
}
