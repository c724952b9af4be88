package dev.llamashim.servlet;

/**
 * Hears what {@link ToolStreamFilter} does with each request, for metrics or logs of your own
 * (the launcher binds it to Micrometer). Every {@link #requestStarted} is followed by exactly one
 * {@link #requestEnded} for the same request. Both are called on container threads, possibly
 * different ones, and must return quickly without blocking; an exception thrown is logged and
 * otherwise ignored.
 */
public interface ShimListener {

    /** A listener that does nothing. */
    ShimListener NONE = new ShimListener() { };

    /** A request entered the filter (its first dispatch; not the async dispatches that may follow). */
    default void requestStarted(PathClass pathClass) {
    }

    /**
     * The filter is done with a request: its answer is decided and handed to the container (a
     * repaired stream: its last event), or, for a request it passed through, the response is complete.
     */
    default void requestEnded(ShimRecord record) {
    }
}
