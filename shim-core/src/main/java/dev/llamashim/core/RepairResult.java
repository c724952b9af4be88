package dev.llamashim.core;

import java.util.Objects;

/**
 * A chat completion after {@link ResponseRepair}, and what the repair changed.
 *
 * @param response the repaired completion (the very same object when nothing changed)
 * @param report what was changed
 */
public record RepairResult(ChatResponse response, RepairReport report) {

    /** Checks that nothing is null. */
    public RepairResult {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(report, "report");
    }
}
