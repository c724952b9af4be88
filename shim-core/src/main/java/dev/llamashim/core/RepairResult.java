package dev.llamashim.core;

import java.util.Objects;

/** A chat completion after {@link ResponseRepair}, and what the repair changed. */
public final class RepairResult {

    private final ChatResponse response;
    private final RepairReport report;

    /** Checks that nothing is null. */
    RepairResult(ChatResponse response, RepairReport report) {
        this.response = Objects.requireNonNull(response, "response");
        this.report = Objects.requireNonNull(report, "report");
    }

    /** The repaired completion (the very same object when nothing changed). */
    public ChatResponse response() {
        return response;
    }

    /** What was changed ({@link RepairReport#NONE} when nothing). */
    public RepairReport report() {
        return report;
    }

    /** Equal when both hold equal completions and equal reports. */
    @Override
    public boolean equals(Object other) {
        return other instanceof RepairResult that && response.equals(that.response) && report.equals(that.report);
    }

    @Override
    public int hashCode() {
        return 31 * response.hashCode() + report.hashCode();
    }

    @Override
    public String toString() {
        return "RepairResult[response=" + response + ", report=" + report + "]";
    }
}
