package dev.llamashim.core;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Set;

/** The defect counts of one repair while it runs; {@link #report()} takes a snapshot. Not thread-safe. */
final class RepairTally {

    private final EnumMap<Defect, Integer> counts = new EnumMap<>(Defect.class);
    private final EnumMap<ToolCallFormat, Integer> extracted = new EnumMap<>(ToolCallFormat.class);
    private final Set<Defect> once = EnumSet.noneOf(Defect.class);

    /** Counts one more {@code defect}. */
    void add(Defect defect) {
        counts.merge(defect, 1, Integer::sum);
    }

    /** Counts {@code defect} unless this method already counted it (a per-stream defect). */
    void addOnce(Defect defect) {
        if (once.add(defect)) {
            add(defect);
        }
    }

    /** Counts one call extracted from text written in {@code format}. */
    void extracted(ToolCallFormat format) {
        extracted.merge(format, 1, Integer::sum);
    }

    RepairReport report() {
        return new RepairReport(counts, extracted);
    }
}
