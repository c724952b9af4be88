package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The request the downstream sees for a shimmed exchange: the body it is to get, no
 * {@code Accept-Encoding} (the filter must read the answer), and an {@link AsyncContext} whose
 * {@code complete()} tells the exchange the answer is all there instead of ending the response.
 */
final class ShimmedRequest extends ReplayedBodyRequest {

    private final ShimExchange exchange;
    private final ServletResponse downstreamResponse;
    private DownstreamAsyncContext asyncContext;

    ShimmedRequest(HttpServletRequest request, byte[] body, ShimExchange exchange, ServletResponse downstreamResponse) {
        super(request, body);
        this.exchange = exchange;
        this.downstreamResponse = downstreamResponse;
    }

    @Override
    public AsyncContext startAsync() {
        return startAsync(this, downstreamResponse);
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
        AsyncContext real = super.startAsync(request, response);
        DownstreamAsyncContext context = new DownstreamAsyncContext(real, exchange);
        synchronized (this) {
            asyncContext = context;
        }
        // Outside this object's lock: the exchange takes its own lock first, then this one's.
        exchange.downstreamWentAsync(real, context);
        return context;
    }

    @Override
    public synchronized AsyncContext getAsyncContext() {
        return asyncContext != null ? asyncContext : super.getAsyncContext();
    }

    /**
     * Answered here once the downstream went async, without asking the container: after a client
     * error, Tomcat refuses such calls from non-container threads, and the downstream's async cycle
     * lasts, for the downstream, until it calls {@code complete()} on its own context.
     */
    @Override
    public synchronized boolean isAsyncStarted() {
        return asyncContext != null || super.isAsyncStarted();
    }

    /** Whether the downstream has an async cycle going (so it will call {@code complete()} or {@code dispatch()} later). */
    synchronized boolean downstreamWentAsync() {
        return asyncContext != null;
    }

    /** The downstream's async cycle ended with a dispatch; a new one starts only if it calls {@code startAsync} again. */
    synchronized void asyncCycleEnded() {
        asyncContext = null;
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
        names.removeIf(ShimmedRequest::isAcceptEncoding);
        return Collections.enumeration(names);
    }

    private static boolean isAcceptEncoding(String name) {
        return "Accept-Encoding".equalsIgnoreCase(name);
    }
}
