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
 * The async context the forwarding servlet gets for a shimmed request. Everything goes to the
 * container's context except {@link #complete()}: for the forwarder, complete means "my answer
 * is written", which it reports ({@link ForwarderEvents#completed()}); the exchange then writes
 * the client's answer and completes the real context. The forwarder's listeners are remembered,
 * so they can be told when the client is found gone (a write to it failed); each hears of an
 * error once, whoever reports it.
 */
final class ForwarderAsyncContext implements AsyncContext {

    private final AsyncContext real;
    private final ForwarderEvents events;
    private final List<OnceOnError> listeners = new CopyOnWriteArrayList<>();
    /** Whether the cycle is still going for the forwarder: until it calls {@code dispatch()}. */
    private volatile boolean going = true;

    ForwarderAsyncContext(AsyncContext real, ForwarderEvents events) {
        this.real = real;
        this.events = events;
    }

    /** Whether the forwarder's cycle is going (it will call {@code complete()} or {@code dispatch()} later). */
    boolean going() {
        return going;
    }

    @Override
    public void complete() {
        ShimLock.assertNoneHeld();
        events.completed();
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

    /**
     * Ends this async cycle: the container dispatches again, and the exchange waits for that
     * dispatch. Once the request has ended (a timeout answered, the client gone) it throws
     * {@code IllegalStateException}, as the container's context would, without reaching the container.
     */
    @Override
    public void dispatch() {
        endCycle();
        try {
            real.dispatch();
        } finally {
            events.dispatched();
        }
    }

    @Override
    public void dispatch(String path) {
        endCycle();
        try {
            real.dispatch(path);
        } finally {
            events.dispatched();
        }
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        endCycle();
        try {
            real.dispatch(context, path);
        } finally {
            events.dispatched();
        }
    }

    private void endCycle() {
        going = false;
        ShimLock.assertNoneHeld();
        if (!events.dispatching()) {
            throw new IllegalStateException("the request has ended: its async cycle can no longer dispatch");
        }
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

    /** Tells the forwarder's listeners that the client connection failed. */
    void clientGone(Throwable failure) {
        ShimLock.assertNoneHeld();
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
