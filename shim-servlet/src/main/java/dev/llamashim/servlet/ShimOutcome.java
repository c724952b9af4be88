package dev.llamashim.servlet;

import java.util.Locale;

/** What the filter did with one request: the mode it took, or the error it answered itself. */
public enum ShimOutcome {
    /** Not a request to shim: it went to the forwarder and back untouched. */
    PASSED_THROUGH,
    /** The model server's JSON answer became a stream ({@code synthesize}, or a JSON answer in {@code repair}). */
    SYNTHESIZED,
    /** The model server's own stream went to the client through the repairer. */
    REPAIRED,
    /** The model server refused to stream ({@code auto}); asked again with {@code stream:false}, its answer became a stream. */
    RETRIED_SYNTHESIZED,
    /**
     * A {@code stream:false} request with tools ({@code normalize-non-stream}): the model server's
     * 200 JSON chat completion reached the client repaired as JSON, or as it came when it needed nothing.
     */
    NORMALIZED,
    /** The model server's answer to a shimmed request (an error status, or not JSON) reached the client as it came. */
    FORWARDED,
    /** llamashim answered with an error of its own; {@link ShimRecord#errorCode()} names it. */
    ERROR;

    /** The outcome as logs and metrics spell it, e.g. {@code passed_through}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
