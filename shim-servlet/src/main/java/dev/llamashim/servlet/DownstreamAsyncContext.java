package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * The async context the downstream servlet gets for a shimmed request. Everything goes to the
 * container's context except {@link #complete()}: for the downstream, complete means "my answer
 * is written"; the exchange then writes the client's answer and completes the real context.
 */
final class DownstreamAsyncContext implements AsyncContext {

    private final AsyncContext real;
    private final ShimExchange exchange;

    DownstreamAsyncContext(AsyncContext real, ShimExchange exchange) {
        this.real = real;
        this.exchange = exchange;
    }

    @Override
    public void complete() {
        exchange.downstreamCompleted();
    }

    @Override
    public ServletRequest getRequest() {
        return real.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
        return real.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
        return real.hasOriginalRequestAndResponse();
    }

    @Override
    public void dispatch() {
        real.dispatch();
    }

    @Override
    public void dispatch(String path) {
        real.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        real.dispatch(context, path);
    }

    @Override
    public void start(Runnable run) {
        real.start(run);
    }

    @Override
    public void addListener(AsyncListener listener) {
        real.addListener(listener);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {
        real.addListener(listener, request, response);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> clazz) throws ServletException {
        return real.createListener(clazz);
    }

    @Override
    public void setTimeout(long timeout) {
        real.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
        return real.getTimeout();
    }
}
