package dev.llamashim.servlet;

import jakarta.servlet.AsyncContext;

/**
 * What the forwarding servlet does with its request's async cycle, as {@link ForwarderRequest}
 * and {@link ForwarderAsyncContext} report it. Called on the forwarder's thread, with no
 * llamashim lock held; the one listening (the exchange) is not known to the reporters.
 */
interface ForwarderEvents {

    /** The forwarder called {@code startAsync}: {@code cycle} is the container's context; its answer comes later. */
    void wentAsync(AsyncContext cycle);

    /** The forwarder called {@code complete()} on its context: its answer is all written. */
    void completed();

    /**
     * The forwarder is about to call {@code dispatch()}: its answer comes in that dispatch. Returns
     * whether it may: not once the request has ended, or is being ended, by the container (the
     * exchange answered a timeout, or the client went away). After {@code true}, the reporter calls
     * the container's {@code dispatch()} and then {@link #dispatched()}, whatever happened.
     */
    boolean dispatching();

    /** The container's {@code dispatch()} that {@link #dispatching()} allowed has returned (or thrown). */
    void dispatched();
}
