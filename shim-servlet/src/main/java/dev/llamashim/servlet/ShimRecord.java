package dev.llamashim.servlet;

import java.time.Duration;
import java.util.Objects;

/**
 * What the filter did with one request, once it is done with it: for access logs, metrics and
 * bug reports. It holds no header, query string or body, so it carries no secret.
 *
 * @param pathClass whether the request went to a chat path
 * @param outcome the mode taken, or {@link ShimOutcome#ERROR}
 * @param errorCode the OpenAI error {@code code} of an error llamashim answered itself (the filter's,
 *     or one a forwarder reported through {@link ToolStreamFilter#OWN_ERROR_ATTRIBUTE}); {@code null} otherwise
 * @param repairs what the repair mended and extracted ({@link RepairCounts#NONE} when nothing)
 * @param retryReason in mode {@code auto}, when the model server did not stream its answer to the
 *     stream request: why it was or was not asked again, in lower case ({@code refused_to_stream} when
 *     it was; {@code not_an_error}, {@code status_never_a_refusal}, {@code no_refusal_message} or
 *     {@code known_not_a_refusal} when not); {@code null} otherwise
 * @param clientGone whether the client went away before its answer was complete
 * @param elapsed from the request entering the filter to the filter being done with it
 */
public record ShimRecord(
        PathClass pathClass,
        ShimOutcome outcome,
        String errorCode,
        RepairCounts repairs,
        String retryReason,
        boolean clientGone,
        Duration elapsed) {

    /** Checks that the parts are present, and that an error code goes with {@link ShimOutcome#ERROR} only. */
    public ShimRecord {
        Objects.requireNonNull(pathClass, "pathClass");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(repairs, "repairs");
        Objects.requireNonNull(elapsed, "elapsed");
        if ((errorCode != null) != (outcome == ShimOutcome.ERROR)) {
            throw new IllegalArgumentException("an error code goes with outcome ERROR only, got " + outcome + "/" + errorCode);
        }
    }

    /** Whether mode {@code auto} asked the model server again with {@code stream:false} (it refused to stream). */
    public boolean retried() {
        return "refused_to_stream".equals(retryReason);
    }
}
