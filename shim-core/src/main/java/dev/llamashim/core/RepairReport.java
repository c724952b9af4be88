package dev.llamashim.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a repair changed: how often each kind of {@link Defect} was mended (kinds never met are
 * absent). An empty report means the answer went out as it came.
 *
 * @param defects counts by defect kind, in the enum's order
 */
public record RepairReport(Map<Defect, Integer> defects) {

    /** A report of no change. */
    public static final RepairReport NONE = new RepairReport(Map.of());

    /** Takes an unmodifiable, enum-ordered copy without zero counts. */
    public RepairReport {
        EnumMap<Defect, Integer> copy = new EnumMap<>(Defect.class);
        defects.forEach((defect, count) -> {
            if (count != null && count > 0) {
                copy.put(defect, count);
            }
        });
        defects = Collections.unmodifiableMap(copy);
    }

    /** Whether nothing was changed. */
    public boolean isEmpty() {
        return defects.isEmpty();
    }

    /** How often {@code defect} was mended. */
    public int count(Defect defect) {
        return defects.getOrDefault(defect, 0);
    }

    /** Both reports' counts added up. */
    public RepairReport plus(RepairReport other) {
        EnumMap<Defect, Integer> sum = new EnumMap<>(Defect.class);
        sum.putAll(defects);
        other.defects.forEach((defect, count) -> sum.merge(defect, count, Integer::sum));
        return new RepairReport(sum);
    }

    /** {@code MISSING_INDEX=2, FINISH_REASON=1}, or {@code none}; for logs. */
    @Override
    public String toString() {
        if (defects.isEmpty()) {
            return "none";
        }
        StringBuilder out = new StringBuilder();
        defects.forEach((defect, count) -> out.append(out.isEmpty() ? "" : ", ").append(defect).append('=').append(count));
        return out.toString();
    }
}
