package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the complete {@link ChatResponse} back from {@code chat.completion.chunk} events, the way
 * the OpenAI SDKs' accumulators do (openai-java's {@code ChatCompletionAccumulator}, the Python
 * and Node {@code ChatCompletionStream}): choices by {@code index}; {@code content},
 * {@code reasoning_content}, and each tool call's {@code function.name} and
 * {@code function.arguments} concatenated; tool calls joined by their {@code index}; a call's
 * {@code id} and {@code type} taken from its first delta that has them; the last
 * {@code finish_reason}, {@code usage} and {@code logprobs} seen. Fields these types do not name
 * are collected as extras (first value wins for a message, last for a chunk or a choice).
 *
 * <p>Because names are concatenated, a stream that repeats a tool call's name in every delta
 * accumulates to {@code get_weatherget_weather}, just as it does in the Python and Node SDKs.
 * Not thread-safe: one accumulator per stream.
 */
public final class StreamAccumulator {

    /** Reads numbers exactly, as the parser copies them, so that extras come back unchanged. */
    private static final ObjectReader READER = Json.MAPPER.reader();
    private static final Set<String> CHUNK_FIELDS =
            Set.of("id", "object", "created", "model", "system_fingerprint", "choices", "usage");
    private static final Set<String> CHOICE_FIELDS = Set.of("index", "delta", "finish_reason", "logprobs");
    private static final Set<String> DELTA_FIELDS = Set.of("role", "content", "reasoning_content", "tool_calls");
    private static final Set<String> CALL_FIELDS = Set.of("index", "id", "type", "function");
    private static final Set<String> FUNCTION_FIELDS = Set.of("name", "arguments");

    private String id;
    private Long created;
    private String model;
    private String systemFingerprint;
    private RawJson usage;
    private final Map<String, RawJson> extras = new LinkedHashMap<>();
    private final Map<Integer, ChoiceState> choices = new TreeMap<>();
    private int chunkCount;
    private boolean done;

    /** Takes the next event: a data chunk is merged, a comment ignored, {@code [DONE]} noted. */
    public void accept(SseChunk event) {
        if (event instanceof SseChunk.Data data) {
            acceptJson(data.data());
        } else if (event instanceof SseChunk.Done) {
            done = true;
        }
    }

    /**
     * Merges one chunk given as JSON text.
     *
     * @throws ShimException when the text is not a chunk object, or is an in-stream
     *     {@code {"error":…}} event (its message is quoted)
     */
    void acceptJson(String chunkJson) {
        String where = "chunk " + chunkCount;
        JsonNode chunk;
        try {
            chunk = READER.readTree(chunkJson);
        } catch (JsonProcessingException e) {
            throw Json.notJson(where, e);
        }
        if (chunk == null || !chunk.isObject()) {
            throw new ShimException(where + ": expected an object");
        }
        if (chunk.hasNonNull("error")) {
            JsonNode message = chunk.path("error").path("message");
            throw new ShimException(where + ": the stream carried an error: "
                    + (message.isTextual() ? message.asText() : chunk.get("error").toString()));
        }
        chunkCount++;
        id = firstText(id, chunk.get("id"));
        if (created == null && chunk.path("created").canConvertToLong()) {
            created = chunk.get("created").asLong();
        }
        model = firstText(model, chunk.get("model"));
        systemFingerprint = firstText(systemFingerprint, chunk.get("system_fingerprint"));
        if (chunk.has("usage")) {
            usage = raw(chunk.get("usage"));
        }
        collectExtras(chunk, CHUNK_FIELDS, extras, true);
        JsonNode choiceArray = array(chunk, "choices", where);
        for (int i = 0; i < choiceArray.size(); i++) {
            JsonNode choice = choiceArray.get(i);
            String path = where + ".choices[" + i + "]";
            int index = requireIndex(choice, path);
            choices.computeIfAbsent(index, ChoiceState::new).merge(choice, path);
        }
    }

    /** Whether {@code data: [DONE]} has arrived. */
    public boolean isDone() {
        return done;
    }

    /** How many data chunks have been merged. */
    int chunkCount() {
        return chunkCount;
    }

    /**
     * The response accumulated so far.
     *
     * @throws ShimException when no chunk has arrived
     */
    public ChatResponse toResponse() {
        if (chunkCount == 0) {
            throw new ShimException("event stream: no chat.completion.chunk to accumulate");
        }
        List<Choice> built = new ArrayList<>(choices.size());
        for (ChoiceState state : choices.values()) {
            built.add(state.build());
        }
        return new ChatResponse(
                id != null ? id : "",
                created != null ? created : 0L,
                model != null ? model : "",
                systemFingerprint,
                built,
                usage,
                extras);
    }

    private static int requireIndex(JsonNode node, String path) {
        JsonNode index = node.get("index");
        if (index == null || !index.canConvertToInt() || !index.isIntegralNumber()) {
            throw new ShimException(path + ": missing \"index\"");
        }
        return index.asInt();
    }

    /**
     * The array {@code field} of {@code node}; a node of size 0 when absent or null. Anything else
     * is refused here, because iterating an object by position would hand on nulls.
     */
    private static JsonNode array(JsonNode node, String field, String path) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return MissingNode.getInstance();
        }
        if (!value.isArray()) {
            throw new ShimException(path + ": \"" + field + "\" is not an array");
        }
        return value;
    }

    private static String firstText(String current, JsonNode node) {
        return current == null && node != null && node.isTextual() ? node.asText() : current;
    }

    private static RawJson raw(JsonNode node) {
        return node == null || node.isNull() ? null : new RawJson(node.toString());
    }

    private static void collectExtras(JsonNode object, Set<String> known, Map<String, RawJson> into, boolean lastWins) {
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            if (!known.contains(field.getKey()) && (lastWins || !into.containsKey(field.getKey()))) {
                into.put(field.getKey(), new RawJson(field.getValue().toString()));
            }
        }
    }

    private static final class ChoiceState {
        final int index;
        String role;
        StringBuilder content;
        StringBuilder reasoning;
        String finishReason;
        RawJson logprobs;
        final Map<String, RawJson> extras = new LinkedHashMap<>();
        final Map<String, RawJson> messageExtras = new LinkedHashMap<>();
        final Map<Integer, CallState> calls = new TreeMap<>();

        ChoiceState(int index) {
            this.index = index;
        }

        void merge(JsonNode choice, String path) {
            JsonNode delta = choice.path("delta");
            if (delta.isObject()) {
                role = firstText(role, delta.get("role"));
                content = append(content, delta.get("content"));
                reasoning = append(reasoning, delta.get("reasoning_content"));
                collectExtras(delta, DELTA_FIELDS, messageExtras, false);
                JsonNode toolCalls = array(delta, "tool_calls", path + ".delta");
                for (int i = 0; i < toolCalls.size(); i++) {
                    JsonNode call = toolCalls.get(i);
                    String callPath = path + ".delta.tool_calls[" + i + "]";
                    calls.computeIfAbsent(requireIndex(call, callPath), CallState::new).merge(call);
                }
            }
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && finish.isTextual()) {
                finishReason = finish.asText();
            }
            if (choice.has("logprobs") && !choice.get("logprobs").isNull()) {
                logprobs = raw(choice.get("logprobs"));
            }
            collectExtras(choice, CHOICE_FIELDS, extras, true);
        }

        Choice build() {
            List<ToolCall> toolCalls = new ArrayList<>(calls.size());
            for (CallState call : calls.values()) {
                toolCalls.add(call.build());
            }
            Message message = new Message(
                    role != null ? role : "assistant",
                    content == null ? null : content.toString(),
                    reasoning == null ? null : reasoning.toString(),
                    toolCalls,
                    messageExtras);
            return new Choice(index, message, finishReason, logprobs, extras);
        }
    }

    private static final class CallState {
        final int index;
        String id;
        String type;
        StringBuilder name;
        StringBuilder arguments;
        final Map<String, RawJson> extras = new LinkedHashMap<>();
        final Map<String, RawJson> functionExtras = new LinkedHashMap<>();

        CallState(int index) {
            this.index = index;
        }

        void merge(JsonNode call) {
            id = firstText(id, call.get("id"));
            type = firstText(type, call.get("type"));
            collectExtras(call, CALL_FIELDS, extras, false);
            JsonNode function = call.path("function");
            if (function.isObject()) {
                name = append(name, function.get("name"));
                JsonNode args = function.get("arguments");
                if (args != null && !args.isNull()) {
                    // Arguments sent as an object (a defect some servers have) count as their JSON text.
                    arguments = args.isTextual() ? append(arguments, args) : appendText(arguments, args.toString());
                }
                collectExtras(function, FUNCTION_FIELDS, functionExtras, false);
            }
        }

        ToolCall build() {
            return new ToolCall(
                    index,
                    id != null ? id : "",
                    type != null ? type : "function",
                    name != null ? name.toString() : "",
                    arguments != null ? arguments.toString() : "",
                    extras,
                    functionExtras);
        }
    }

    private static StringBuilder append(StringBuilder into, JsonNode text) {
        return text != null && text.isTextual() ? appendText(into, text.asText()) : into;
    }

    private static StringBuilder appendText(StringBuilder into, String text) {
        return into == null ? new StringBuilder(text) : into.append(text);
    }
}
