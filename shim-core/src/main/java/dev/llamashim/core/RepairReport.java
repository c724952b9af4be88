package dev.llamashim.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a repair changed: how often each kind of {@link Defect} was mended, and how many tool calls
 * written as text were extracted, by markup (kinds never met are absent). An empty report means
 * the answer went out as it came. Only the repairers make reports, so that the kinds of count can
 * grow without breaking callers.
 */
public final class RepairReport {

    /** A report of no change. */
    public static final RepairReport NONE = new RepairReport(Map.of(), Map.of());

    private final Map<Defect, Integer> defects;
    private final Map<ToolCallFormat, Integer> extracted;

    /** Takes unmodifiable, enum-ordered copies without zero counts. */
    RepairReport(Map<Defect, Integer> defects, Map<ToolCallFormat, Integer> extracted) {
        this.defects = positive(defects, Defect.class);
        this.extracted = positive(extracted, ToolCallFormat.class);
    }

    private static <K extends Enum<K>> Map<K, Integer> positive(Map<K, Integer> counts, Class<K> type) {
        EnumMap<K, Integer> copy = new EnumMap<>(type);
        counts.forEach((key, count) -> {
            if (count != null && count > 0) {
                copy.put(key, count);
            }
        });
        return Collections.unmodifiableMap(copy);
    }

    /** Counts by defect kind, in the enum's order; unmodifiable. */
    public Map<Defect, Integer> defects() {
        return defects;
    }

    /** Calls extracted from text, by the markup they were written in; unmodifiable. */
    public Map<ToolCallFormat, Integer> extracted() {
        return extracted;
    }

    /** Whether nothing was changed. */
    public boolean isEmpty() {
        return defects.isEmpty() && extracted.isEmpty();
    }

    /** How often {@code defect} was mended. */
    public int count(Defect defect) {
        return defects.getOrDefault(defect, 0);
    }

    /** Equal when both count the same defects and extractions. */
    @Override
    public boolean equals(Object other) {
        return other instanceof RepairReport that && defects.equals(that.defects) && extracted.equals(that.extracted);
    }

    @Override
    public int hashCode() {
        return 31 * defects.hashCode() + extracted.hashCode();
    }

    /** {@code MISSING_INDEX=2, FINISH_REASON=1, extracted hermes=1}, or {@code none}; for logs. */
    @Override
    public String toString() {
        if (isEmpty()) {
            return "none";
        }
        StringBuilder out = new StringBuilder();
        defects.forEach((defect, count) -> out.append(out.isEmpty() ? "" : ", ").append(defect).append('=').append(count));
        extracted.forEach((format, count) ->
                out.append(out.isEmpty() ? "" : ", ").append("extracted ").append(format.label()).append('=').append(count));
        return out.toString();
    }
}
