package dev.llamashim.core;

import java.util.Objects;

/**
 * A {@code stream:false} chat completion's JSON after {@link ResponseRepair#repairJsonWithReport},
 * and what the repair changed.
 *
 * @param json the repaired JSON (the very array given when nothing changed)
 * @param report what was changed ({@link RepairReport#NONE} when nothing)
 */
public record RepairedJson(byte[] json, RepairReport report) {

    /** Checks that nothing is null. */
    public RepairedJson {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(report, "report");
    }
}
