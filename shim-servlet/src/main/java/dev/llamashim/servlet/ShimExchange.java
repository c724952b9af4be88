package dev.llamashim.servlet;

import dev.llamashim.core.StreamSynthesizer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One shimmed request, from handing the rewritten request down the chain to writing the client's
 * answer. The downstream may answer on the calling thread, or later from any thread through
 * {@code AsyncContext.complete()}; either way the client is answered exactly once.
 */
final class ShimExchange implements AsyncListener {

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final StreamSynthesizer synthesizer;
    private final boolean includeUsage;
    private final CapturingResponse capture;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile AsyncContext async;
    private volatile boolean clientGone;

    ShimExchange(HttpServletRequest request, HttpServletResponse response, StreamSynthesizer synthesizer,
            boolean includeUsage, int maxResponseBytes) {
        this.request = request;
        this.response = response;
        this.synthesizer = synthesizer;
        this.includeUsage = includeUsage;
        this.capture = new CapturingResponse(response, maxResponseBytes);
    }

    /** Hands the rewritten request down the chain; answers at once if the downstream stayed synchronous. */
    void run(FilterChain chain, byte[] upstreamBody) throws IOException, ServletException {
        ShimmedRequest shimmed = new ShimmedRequest(request, upstreamBody, this);
        chain.doFilter(shimmed, capture);
        if (!shimmed.downstreamWentAsync() && answered.compareAndSet(false, true)) {
            ResponseSender.send(request, response, answer());
        }
    }

    CapturingResponse capture() {
        return capture;
    }

    /** The downstream called {@code startAsync}: this is the container's context to finish on. */
    void downstreamWentAsync(AsyncContext real) {
        async = real;
        real.addListener(this);
    }

    /** The async downstream called {@code complete()}: its answer is all there; send the client its own. */
    void downstreamCompleted() {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        if (clientGone) {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // The container ended the request itself after reporting the error: nothing left to do.
            }
            return;
        }
        ResponseSender.send(async, response, answer());
    }

    private ShimAnswer answer() {
        return ShimAnswer.of(capture.captured(), synthesizer, includeUsage);
    }

    @Override
    public void onError(AsyncEvent event) {
        // The client went away or the connection failed. The downstream's own listeners (a proxy's)
        // hear the same event and abort the upstream; nothing may be written after this.
        clientGone = true;
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        if (answered.compareAndSet(false, true)) {
            ResponseSender.send(event.getAsyncContext(), response, ShimAnswer.error(new OpenAiError(504,
                    "the model server did not answer before the request's async timeout",
                    "upstream_timeout", "upstream_timeout")));
        }
    }

    @Override
    public void onComplete(AsyncEvent event) {
        // Nothing to release: the captured answer is garbage once the exchange is.
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // A new async cycle keeps the listeners it is given; this one needs no re-registration.
    }
}
