package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The request the forwarding servlet sees for a shimmed exchange: the body it is to get, no
 * {@code Accept-Encoding} (the filter must read the answer), and a {@link ForwarderAsyncContext}
 * whose {@code complete()} reports the answer all there instead of ending the response.
 */
final class ForwarderRequest extends ReplayedBodyRequest {

    private final ServletResponse forwarderResponse;
    private final boolean heldAnswer;
    private final ForwarderEvents events;
    private volatile ForwarderAsyncContext asyncContext;

    /** @param heldAnswer whether {@code forwarderResponse} holds the whole answer ({@link ToolStreamFilter#HELD_ANSWER_ATTRIBUTE}) */
    ForwarderRequest(HttpServletRequest request, byte[] body, ServletResponse forwarderResponse, boolean heldAnswer,
            ForwarderEvents events) {
        super(request, body);
        this.forwarderResponse = forwarderResponse;
        this.heldAnswer = heldAnswer;
        this.events = events;
    }

    /** {@link ToolStreamFilter#HELD_ANSWER_ATTRIBUTE} is this request's own, read from no other. */
    @Override
    public Object getAttribute(String name) {
        if (ToolStreamFilter.HELD_ANSWER_ATTRIBUTE.equals(name)) {
            return heldAnswer ? Boolean.TRUE : null;
        }
        return super.getAttribute(name);
    }

    @Override
    public AsyncContext startAsync() {
        return startAsync(this, forwarderResponse);
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
        ShimLock.assertNoneHeld();
        AsyncContext real = super.startAsync(request, response);
        ForwarderAsyncContext context = new ForwarderAsyncContext(real, events);
        asyncContext = context;
        events.wentAsync(real);
        return context;
    }

    @Override
    public AsyncContext getAsyncContext() {
        ForwarderAsyncContext context = asyncContext;
        return context != null && context.going() ? context : super.getAsyncContext();
    }

    /**
     * Answered here while the forwarder's cycle is going, without asking the container: after a
     * client error, Tomcat refuses such calls from non-container threads, and the forwarder's
     * async cycle lasts, for the forwarder, until it calls {@code complete()} on its own context.
     */
    @Override
    public boolean isAsyncStarted() {
        return wentAsync() || super.isAsyncStarted();
    }

    /** Whether the forwarder has an async cycle going (so it will call {@code complete()} or {@code dispatch()} later). */
    boolean wentAsync() {
        ForwarderAsyncContext context = asyncContext;
        return context != null && context.going();
    }

    /** Tells the forwarder's async listeners, if it has any, that the client connection failed. */
    void clientGone(Throwable failure) {
        ForwarderAsyncContext context = asyncContext;
        if (context != null) {
            context.clientGone(failure);
        }
    }

    @Override
    public String getHeader(String name) {
        return isAcceptEncoding(name) ? null : super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        return isAcceptEncoding(name) ? Collections.emptyEnumeration() : super.getHeaders(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
        List<String> names = Collections.list(super.getHeaderNames());
        names.removeIf(ForwarderRequest::isAcceptEncoding);
        return Collections.enumeration(names);
    }

    private static boolean isAcceptEncoding(String name) {
        return "Accept-Encoding".equalsIgnoreCase(name);
    }
}
