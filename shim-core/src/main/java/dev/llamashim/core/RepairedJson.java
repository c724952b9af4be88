package dev.llamashim.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * A {@code stream:false} chat completion's JSON after {@link ResponseRepair#repairJsonWithReport},
 * and what the repair changed.
 */
public final class RepairedJson {

    private final byte[] json;
    private final RepairReport report;

    /** Keeps {@code json} itself, not a copy; checks that nothing is null. */
    RepairedJson(byte[] json, RepairReport report) {
        this.json = Objects.requireNonNull(json, "json");
        this.report = Objects.requireNonNull(report, "report");
    }

    /** The repaired JSON: the very array given when nothing changed, else a new one; not copied. */
    public byte[] json() {
        return json;
    }

    /** What was changed ({@link RepairReport#NONE} when nothing). */
    public RepairReport report() {
        return report;
    }

    /** Equal when both hold the same bytes and equal reports. */
    @Override
    public boolean equals(Object other) {
        return other instanceof RepairedJson that && Arrays.equals(json, that.json) && report.equals(that.report);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(json) + report.hashCode();
    }

    @Override
    public String toString() {
        return "RepairedJson[" + json.length + " bytes, report=" + report + "]";
    }
}
