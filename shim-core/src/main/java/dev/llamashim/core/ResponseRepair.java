package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The repairs of a complete ({@code stream:false}) chat completion, the JSON form of what
 * {@link StreamRepairer} does to streams: per choice that carries tool calls, content that is
 * wholly a JSON rendering of exactly those calls is removed (LocalAI), {@code finish_reason:"stop"}
 * becomes {@code "tool_calls"} unless the request forced one function, and calls sharing an id get
 * fresh ones; and when the request declared tools and extraction is on, tool calls written as text
 * in {@code reasoning_content} or {@code content} (see {@link TextToolCallExtractor#extractAll})
 * become calls after the native ones (fresh {@code call_} ids), their text removed (a field left
 * without text becomes null), and the finish reason follows the same rule. Parsing ({@link ChatResponse#parse}) already numbers calls without, or sharing, an
 * {@code index} by position and turns object arguments into their compact JSON text;
 * {@link #repairJson} does all of it on the JSON itself.
 */
public final class ResponseRepair {

    private ResponseRepair() {}

    /** The repaired completion (the same object when nothing needed repair) and what changed. */
    public static RepairResult repair(ChatResponse response, RepairOptions options) {
        RepairTally counts = new RepairTally();
        List<Choice> choices = new ArrayList<>(response.choices().size());
        boolean changed = false;
        Set<String> ids = new HashSet<>();
        for (Choice choice : response.choices()) {
            Choice repaired = repair(choice, options, ids, counts);
            changed |= repaired != choice;
            choices.add(repaired);
        }
        if (!changed) {
            return new RepairResult(response, RepairReport.NONE);
        }
        ChatResponse repaired = new ChatResponse(response.id(), response.created(), response.model(),
                response.systemFingerprint(), choices, response.usage(), response.extras());
        return new RepairResult(repaired, counts.report());
    }

    private static Choice repair(Choice choice, RepairOptions options, Set<String> ids, RepairTally counts) {
        Message message = choice.message();
        List<ToolCall> calls = new ArrayList<>(message.toolCalls().size());
        boolean changed = false;
        for (ToolCall call : message.toolCalls()) {
            if (ids.add(call.id())) {
                calls.add(call);
                continue;
            }
            calls.add(new ToolCall(call.index(), newId(ids), call.type(), call.name(), call.arguments(), call.extras(),
                    call.functionExtras()));
            counts.add(Defect.DUPLICATE_ID);
            changed = true;
        }
        String content = message.content();
        if (CallRendering.isRenderingOf(content, renderable(calls))) {
            content = null;
            counts.add(Defect.DUPLICATED_CONTENT);
            changed = true;
        }
        String reasoning = message.reasoningContent();
        if (extracts(options)) {
            int before = calls.size();
            reasoning = extract(reasoning, options.tools(), calls, ids, counts);
            content = extract(content, options.tools(), calls, ids, counts);
            changed |= calls.size() > before;
        }
        String finishReason = choice.finishReason();
        if (finishReason != null && !calls.isEmpty()) {
            String fixed = FinishReasons.withCalls(finishReason, options.tools());
            if (!fixed.equals(finishReason)) {
                finishReason = fixed;
                counts.add(Defect.FINISH_REASON);
                changed = true;
            }
        }
        if (!changed) {
            return choice;
        }
        Message repaired = new Message(message.role(), content, reasoning, calls, message.extras());
        return new Choice(choice.index(), repaired, finishReason, choice.logprobs(), choice.extras());
    }

    private static boolean extracts(RepairOptions options) {
        return options.textToolCalls() == TextToolCalls.EXTRACT && !options.tools().isEmpty();
    }

    /**
     * The text of {@code field} without the tool calls written in it, which are added to
     * {@code calls}; the field itself when it has none, null when nothing but calls was in it.
     */
    private static String extract(String field, DeclaredTools tools, List<ToolCall> calls, Set<String> ids,
            RepairTally counts) {
        if (field == null || field.isEmpty()) {
            return field;
        }
        List<TextPiece> pieces = TextToolCallExtractor.extractAll(field, tools);
        if (pieces.stream().noneMatch(TextPiece.Call.class::isInstance)) {
            return field;
        }
        StringBuilder text = new StringBuilder();
        for (TextPiece piece : pieces) {
            if (piece instanceof TextPiece.Text t) {
                text.append(t.text());
            } else if (piece instanceof TextPiece.Call call) {
                calls.add(ToolCall.function(calls.size(), newId(ids), call.name(), call.arguments()));
                counts.extracted(call.format());
            }
        }
        return text.isEmpty() ? null : text.toString();
    }

    private static List<CallRendering.Call> renderable(List<ToolCall> calls) {
        return calls.stream().map(c -> new CallRendering.Call(c.name(), c.arguments())).toList();
    }

    private static String newId(Set<String> ids) {
        String id;
        do {
            id = "call_" + Ids.alphanumeric(24);
        } while (!ids.add(id));
        return id;
    }

    /**
     * A {@code stream:false} completion as JSON with the repairs of {@link #repair} and those parsing
     * makes (calls sharing an {@code index} get their positions, a missing or repeated {@code id}
     * a fresh {@code call_} id, a missing {@code type} {@code "function"}, object {@code arguments}
     * their compact JSON text; a missing {@code index} stays missing, as in OpenAI's own answers),
     * every other field kept as it was. Returns
     * the very same array when nothing needed repair, or when the bytes are not a completion (they
     * are the server's to answer for).
     */
    public static byte[] repairJson(byte[] completion, RepairOptions options) {
        return repairJsonWithReport(completion, options).json();
    }

    /**
     * As {@link #repairJson}, with what was changed: the very same array and
     * {@link RepairReport#NONE} when nothing needed repair or the bytes are not a completion.
     */
    public static RepairedJson repairJsonWithReport(byte[] completion, RepairOptions options) {
        RepairedJson unchanged = new RepairedJson(completion, RepairReport.NONE);
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(completion);
        } catch (IOException e) {
            return unchanged;
        }
        if (tree == null || !tree.isObject() || !tree.path("choices").isArray()) {
            return unchanged;
        }
        RepairTally counts = new RepairTally();
        Set<String> ids = new HashSet<>();
        for (JsonNode choice : tree.get("choices")) {
            if (choice.isObject() && choice.path("message").isObject()) {
                repairJsonChoice((ObjectNode) choice, options, ids, counts);
            }
        }
        RepairReport report = counts.report();
        if (report.isEmpty()) {
            return unchanged;
        }
        try {
            return new RepairedJson(Json.MAPPER.writeValueAsBytes(tree), report);
        } catch (JsonProcessingException e) {
            throw new ShimException("chat completion: cannot write the repaired JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static void repairJsonChoice(ObjectNode choice, RepairOptions options, Set<String> ids, RepairTally counts) {
        ObjectNode message = (ObjectNode) choice.get("message");
        JsonNode callsNode = message.get("tool_calls");
        if (callsNode == null || callsNode.isNull()) {
            callsNode = Json.MAPPER.createArrayNode();
        } else if (!callsNode.isArray()) {
            return;
        }
        ArrayNode calls = (ArrayNode) callsNode;
        Set<Integer> indices = new HashSet<>();
        boolean shared = false;
        for (JsonNode call : calls) {
            JsonNode index = call.get("index");
            if (index != null && index.canConvertToInt()) {
                shared |= !indices.add(index.asInt());
            }
        }
        List<CallRendering.Call> rendered = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            if (!calls.get(i).isObject()) {
                return; // not a shape to repair
            }
            ObjectNode call = (ObjectNode) calls.get(i);
            // OpenAI's own answers carry no index on a message's calls: only colliding ones are renumbered.
            JsonNode index = call.get("index");
            if (shared && index != null && !index.isNull() && index.asInt() != i) {
                call.put("index", i);
                counts.add(Defect.REUSED_INDEX);
            }
            JsonNode id = call.get("id");
            if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
                call.put("id", newId(ids));
                counts.add(Defect.MISSING_ID);
            } else if (!ids.add(id.textValue())) {
                call.put("id", newId(ids));
                counts.add(Defect.DUPLICATE_ID);
            }
            if (!call.path("type").isTextual()) {
                call.put("type", "function");
                counts.add(Defect.CALL_FIELDS);
            }
            JsonNode function = call.get("function");
            if (!(function instanceof ObjectNode fn)) {
                return;
            }
            JsonNode arguments = fn.get("arguments");
            if (arguments != null && !arguments.isNull() && !arguments.isTextual()) {
                fn.put("arguments", arguments.toString());
                counts.add(Defect.ARGUMENTS_AS_OBJECT);
            }
            rendered.add(new CallRendering.Call(fn.path("name").asText(""), fn.path("arguments").asText("")));
        }
        JsonNode content = message.get("content");
        if (content != null && content.isTextual() && CallRendering.isRenderingOf(content.textValue(), rendered)) {
            message.putNull("content");
            counts.add(Defect.DUPLICATED_CONTENT);
        }
        if (extracts(options)) {
            for (String field : new String[] {"reasoning_content", "content"}) {
                JsonNode text = message.get(field);
                if (text != null && text.isTextual()) {
                    List<ToolCall> found = new ArrayList<>();
                    String rest = extract(text.textValue(), options.tools(), found, ids, counts);
                    for (ToolCall call : found) {
                        ObjectNode added = calls.addObject();
                        added.put("id", call.id());
                        added.put("type", "function");
                        added.putObject("function").put("name", call.name()).put("arguments", call.arguments());
                    }
                    if (!found.isEmpty()) {
                        message.put(field, rest);
                    }
                }
            }
            if (!calls.isEmpty() && message.get("tool_calls") != calls) {
                message.set("tool_calls", calls);
            }
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && finish.isTextual() && !calls.isEmpty()) {
            String fixed = FinishReasons.withCalls(finish.textValue(), options.tools());
            if (!fixed.equals(finish.textValue())) {
                choice.put("finish_reason", fixed);
                counts.add(Defect.FINISH_REASON);
            }
        }
    }
}
