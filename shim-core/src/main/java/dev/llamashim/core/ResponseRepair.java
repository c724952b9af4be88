package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
 * fresh ones. Parsing ({@link ChatResponse#parse}) already numbers calls without, or sharing, an
 * {@code index} by position and turns object arguments into their compact JSON text;
 * {@link #repairJson} does all of it on the JSON itself.
 */
public final class ResponseRepair {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private ResponseRepair() {}

    /** The repaired completion (the same object when nothing needed repair) and what changed. */
    public static RepairResult repair(ChatResponse response, RepairOptions options) {
        RepairCounts counts = new RepairCounts();
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

    private static Choice repair(Choice choice, RepairOptions options, Set<String> ids, RepairCounts counts) {
        Message message = choice.message();
        List<ToolCall> calls = message.toolCalls();
        if (calls.isEmpty()) {
            return choice;
        }
        boolean changed = false;
        List<ToolCall> fresh = new ArrayList<>(calls.size());
        for (ToolCall call : calls) {
            if (ids.add(call.id())) {
                fresh.add(call);
                continue;
            }
            String id = newId(ids);
            fresh.add(new ToolCall(call.index(), id, call.type(), call.name(), call.arguments(), call.extras(),
                    call.functionExtras()));
            counts.add(Defect.DUPLICATE_ID);
            changed = true;
        }
        String content = message.content();
        if (CallRendering.isRenderingOf(content, renderable(fresh))) {
            content = null;
            counts.add(Defect.DUPLICATED_CONTENT);
            changed = true;
        }
        String finishReason = choice.finishReason();
        if (finishReason != null) {
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
        Message repaired = new Message(message.role(), content, message.reasoningContent(), fresh, message.extras());
        return new Choice(choice.index(), repaired, finishReason, choice.logprobs(), choice.extras());
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
     * makes (a missing or shared call {@code index} becomes the call's position, a missing or
     * repeated {@code id} a fresh {@code call_} id, a missing {@code type} {@code "function"},
     * object {@code arguments} their compact JSON text), every other field kept as it was. Returns
     * the very same array when nothing needed repair, or when the bytes are not a completion (they
     * are the server's to answer for).
     */
    public static byte[] repairJson(byte[] completion, RepairOptions options) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(completion);
        } catch (IOException e) {
            return completion;
        }
        if (tree == null || !tree.isObject() || !tree.path("choices").isArray()) {
            return completion;
        }
        RepairCounts counts = new RepairCounts();
        Set<String> ids = new HashSet<>();
        for (JsonNode choice : tree.get("choices")) {
            if (choice.isObject() && choice.path("message").isObject()) {
                repairJsonChoice((ObjectNode) choice, options, ids, counts);
            }
        }
        if (counts.report().isEmpty()) {
            return completion;
        }
        try {
            return MAPPER.writeValueAsBytes(tree);
        } catch (JsonProcessingException e) {
            throw new ShimException("chat completion: cannot write the repaired JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static void repairJsonChoice(ObjectNode choice, RepairOptions options, Set<String> ids, RepairCounts counts) {
        ObjectNode message = (ObjectNode) choice.get("message");
        JsonNode callsNode = message.get("tool_calls");
        if (callsNode == null || !callsNode.isArray() || callsNode.isEmpty()) {
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
            JsonNode index = call.get("index");
            if (index == null || index.isNull()) {
                call.put("index", i);
                counts.add(Defect.MISSING_INDEX);
            } else if (shared && index.asInt() != i) {
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
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && finish.isTextual()) {
            String fixed = FinishReasons.withCalls(finish.textValue(), options.tools());
            if (!fixed.equals(finish.textValue())) {
                choice.put("finish_reason", fixed);
                counts.add(Defect.FINISH_REASON);
            }
        }
    }
}
