package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The async context the downstream servlet gets for a shimmed request. Everything goes to the
 * container's context except {@link #complete()}: for the downstream, complete means "my answer
 * is written"; the exchange then writes the client's answer and completes the real context.
 * The downstream's listeners are remembered, so the exchange can tell them when it finds the
 * client gone (a heartbeat write failed) — each hears of an error once, whoever reports it.
 */
final class DownstreamAsyncContext implements AsyncContext {

    private final AsyncContext real;
    private final ShimExchange exchange;
    private final List<OnceOnError> listeners = new CopyOnWriteArrayList<>();

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

    /** Ends this async cycle: the container dispatches again, and the exchange waits for that dispatch. */
    @Override
    public void dispatch() {
        exchange.downstreamDispatched();
        real.dispatch();
    }

    @Override
    public void dispatch(String path) {
        exchange.downstreamDispatched();
        real.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        exchange.downstreamDispatched();
        real.dispatch(context, path);
    }

    @Override
    public void start(Runnable run) {
        real.start(run);
    }

    @Override
    public void addListener(AsyncListener listener) {
        OnceOnError once = new OnceOnError(listener, real.getRequest(), real.getResponse());
        listeners.add(once);
        real.addListener(once);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {
        OnceOnError once = new OnceOnError(listener, request, response);
        listeners.add(once);
        real.addListener(once, request, response);
    }

    /** Tells the downstream's listeners that the client connection failed. */
    void clientFailed(Throwable failure) {
        for (OnceOnError listener : listeners) {
            listener.onError(new AsyncEvent(this, listener.request, listener.response, failure));
        }
    }

    /** Passes every event on, but an error only the first time. */
    private static final class OnceOnError implements AsyncListener {
        private final AsyncListener listener;
        private final ServletRequest request;
        private final ServletResponse response;
        private final AtomicBoolean errored = new AtomicBoolean();

        OnceOnError(AsyncListener listener, ServletRequest request, ServletResponse response) {
            this.listener = listener;
            this.request = request;
            this.response = response;
        }

        @Override
        public void onError(AsyncEvent event) {
            if (errored.compareAndSet(false, true)) {
                try {
                    listener.onError(event);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        @Override
        public void onComplete(AsyncEvent event) throws IOException {
            listener.onComplete(event);
        }

        @Override
        public void onTimeout(AsyncEvent event) throws IOException {
            listener.onTimeout(event);
        }

        @Override
        public void onStartAsync(AsyncEvent event) throws IOException {
            listener.onStartAsync(event);
        }
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
