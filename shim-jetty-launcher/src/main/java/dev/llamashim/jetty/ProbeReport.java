package dev.llamashim.jetty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.RepairCounts;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The probe's findings and verdict: each request's outcome, the mode that serves streaming tool
 * calls from this model server (or none), why, and the config line for it.
 *
 * @param target the model server probed
 * @param model the model named in the requests
 * @param apiKeySent whether the requests carried an API key (never the key itself)
 * @param checks what each request got, in the order asked
 * @param mode the mode recommended, or {@code null} when no mode can serve streaming tool calls
 * @param why the reason, for a person
 * @param elapsed how long the probe took
 * @param total the bound of the whole probe
 */
record ProbeReport(String target, String model, boolean apiKeySent, List<ProbeCheck> checks, Mode mode, String why,
        Duration elapsed, Duration total) {

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** Copies the list. */
    ProbeReport {
        checks = List.copyOf(checks);
    }

    /** Whether streaming tool calls can be served through llamashim in some mode. */
    boolean usable() {
        return mode != null;
    }

    /** The report for a person, one screen. */
    String text() {
        StringBuilder text = new StringBuilder();
        text.append("llamashim probe of ").append(target).append(model.isEmpty() ? "" : " (model \"" + model + "\")")
                .append(apiKeySent ? ", with an API key" : "").append("\n\n");
        int width = checks.stream().mapToInt(check -> check.name().length()).max().orElse(0);
        for (ProbeCheck check : checks) {
            text.append("  ").append(check.name()).append(" ".repeat(width - check.name().length() + 3))
                    .append(check.detail()).append('\n');
        }
        text.append("\n  took ").append(seconds(elapsed)).append(" s of at most ").append(seconds(total)).append(" s\n\n");
        if (mode == null) {
            text.append("No mode of llamashim can serve streaming tool calls from this server.\n  ").append(why).append('\n');
            return text.toString();
        }
        text.append("Recommended: mode ").append(mode).append('\n')
                .append("  Why: ").append(why).append('\n')
                .append("  Config: mode: ").append(mode).append("   (or --mode ").append(mode)
                .append(", or LLAMASHIM_MODE=").append(mode).append(")\n");
        return text.toString();
    }

    /** The report as JSON, for scripts. */
    String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("target_url", target);
        root.put("model", model);
        root.put("usable", usable());
        root.put("recommended_mode", mode == null ? null : mode.toString());
        root.put("why", why);
        root.put("config_line", mode == null ? null : "mode: " + mode);
        root.put("api_key_sent", apiKeySent);
        root.put("elapsed_seconds", elapsed.toMillis() / 1000.0);
        root.put("total_timeout_seconds", total.toMillis() / 1000.0);
        ArrayNode list = root.putArray("checks");
        for (ProbeCheck check : checks) {
            ObjectNode node = list.addObject();
            node.put("name", check.name());
            node.put("answered", check.answered());
            node.put("status", check.status());
            node.put("streamed", check.streamed());
            node.set("tool_calls", JSON.valueToTree(check.toolCalls()));
            node.set("mended", JSON.valueToTree(check.repairs().mended()));
            node.set("extracted", JSON.valueToTree(check.repairs().extracted()));
            node.put("repair_changed_answer", check.changed());
            node.put("usage", check.usage());
            node.put("detail", check.detail());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serializes", e);
        }
    }

    /** {@code 1.2}: seconds with one decimal. */
    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f", duration.toMillis() / 1000.0);
    }

    /** {@code mended: a:1,b:2; extracted as text: hermes:1}, or {@code ""} when nothing. */
    static String describe(RepairCounts repairs) {
        StringBuilder text = new StringBuilder();
        if (!repairs.mended().isEmpty()) {
            text.append("; repair mended ").append(RepairCounts.summary(repairs.mended()));
        }
        if (!repairs.extracted().isEmpty()) {
            text.append("; tool calls left as text, extracted: ").append(RepairCounts.summary(repairs.extracted()));
        }
        return text.toString();
    }
}
