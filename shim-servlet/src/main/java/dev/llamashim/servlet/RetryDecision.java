package dev.llamashim.servlet;

import java.util.Locale;

/**
 * What mode {@code auto} decided about the model server's answer to a stream request that it did
 * not stream: ask once more with {@code stream:false}, or pass the answer on, and why. A value a
 * log line or a metrics listener can report.
 *
 * @param reason why
 * @param status the answer's HTTP status
 * @param message the answer's error message, or {@code null} when it carried none that could be read
 */
record RetryDecision(Reason reason, int status, String message) {

    /** Why the model server is or is not asked again. */
    enum Reason {
        /** A refusal: a status and an error message saying this server cannot stream this request. The only reason that retries. */
        REFUSED_TO_STREAM,
        /** Not an error (a status below 400): the answer is used as it is. */
        NOT_AN_ERROR,
        /**
         * A status that is never a refusal: the model server failing, overloaded or unreachable
         * (and llamashim's own 502 and 504), authentication, routing, size, rate, timeouts.
         */
        STATUS_NEVER_A_REFUSAL,
        /** A status a refusal comes with, but no message saying that streaming is not supported. */
        NO_REFUSAL_MESSAGE,
        /** This status from this model server failed a {@code stream:false} request too, recently: remembered as no refusal. */
        KNOWN_NOT_A_REFUSAL;

        /** The reason as logs and metrics spell it, e.g. {@code refused_to_stream}. */
        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether the model server is asked once more, with {@code stream:false}. */
    boolean retry() {
        return reason == Reason.REFUSED_TO_STREAM;
    }
}
