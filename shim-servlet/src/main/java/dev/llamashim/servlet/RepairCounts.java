package dev.llamashim.servlet;

import dev.llamashim.core.RepairReport;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * What a repair mended in one answer: how many times each kind of defect was mended, and how many
 * tool calls written as text were extracted, by markup format. Keys are lower-case labels (such as
 * {@code missing_index} or {@code hermes}); counts are at least 1.
 *
 * @param mended defects mended, by kind
 * @param extracted text tool calls turned into real ones, by format
 */
public record RepairCounts(Map<String, Integer> mended, Map<String, Integer> extracted) {

    /** Nothing mended, nothing extracted. */
    public static final RepairCounts NONE = new RepairCounts(Map.of(), Map.of());

    /** Copies both maps. */
    public RepairCounts {
        mended = Map.copyOf(mended);
        extracted = Map.copyOf(extracted);
    }

    /**
     * The counts of a core {@link RepairReport}: each {@link dev.llamashim.core.Defect} by its name in
     * lower case ({@code missing_index}), each {@link dev.llamashim.core.ToolCallFormat} by its label.
     */
    public static RepairCounts of(RepairReport report) {
        if (report.isEmpty()) {
            return NONE;
        }
        Map<String, Integer> mended = new HashMap<>();
        report.defects().forEach((defect, count) -> mended.put(defect.name().toLowerCase(Locale.ROOT), count));
        Map<String, Integer> extracted = new HashMap<>();
        report.extracted().forEach((format, count) -> extracted.put(format.label(), count));
        return new RepairCounts(mended, extracted);
    }

    /** Whether nothing was mended and nothing extracted. */
    public boolean isEmpty() {
        return mended.isEmpty() && extracted.isEmpty();
    }

    /** {@code kind:count} pairs joined by commas, in key order (e.g. {@code finish_reason:1,missing_index:2}); {@code -} when empty. */
    public static String summary(Map<String, Integer> counts) {
        if (counts.isEmpty()) {
            return "-";
        }
        StringJoiner joined = new StringJoiner(",");
        new TreeMap<>(counts).forEach((kind, count) -> joined.add(kind + ":" + count));
        return joined.toString();
    }
}
