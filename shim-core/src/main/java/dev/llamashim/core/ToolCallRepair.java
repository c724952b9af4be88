package dev.llamashim.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tool calls of one choice of a stream that {@link StreamRepairer} mends: which call each
 * upstream delta belongs to, and the delta rewritten so that its call has an {@code index} (order
 * of first appearance), an {@code id} unique in the whole stream, and {@code type}, {@code id} and
 * {@code function.name} in its first delta only, with {@code arguments} always text.
 *
 * <p>Which call a delta belongs to: its {@code id} when that is known; else its {@code index};
 * a new {@code id} under an index already used opens a new call when it carries a name (Ollama
 * numbers every call 0) and continues the call at that index when it does not (LM Studio gives
 * argument fragments ids of their own); a delta with neither continues the last call, unless it is
 * not the first such entry of its delta (several calls in one delta) or it names a function after
 * the last call's arguments were complete (one whole call per delta, as vLLM and MLX servers
 * send them): then it opens a new call.
 */
final class ToolCallRepair {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Tool-call ids sent so far, over all choices of the stream: an id is never sent for two calls. */
    private final Set<String> streamIds;
    private final List<CallState> sent = new ArrayList<>();
    private final Map<String, CallState> byId = new HashMap<>();
    private final Map<Integer, CallState> byIndex = new HashMap<>();
    private final RepairTally counts;
    private CallState last;
    private boolean changed;
    private long argumentsLength;

    ToolCallRepair(Set<String> streamIds, RepairTally counts) {
        this.streamIds = streamIds;
        this.counts = counts;
    }

    /** What {@link #repair} did to one delta: whether tool calls remain in it, and whether it changed. */
    record Step(boolean calls, boolean changed) {}

    /** Whether the choice has made any tool call so far. */
    boolean any() {
        return !sent.isEmpty();
    }

    /** The calls so far, each with its arguments text up to {@link CallRendering#BOUND}. */
    List<CallRendering.Call> calls() {
        List<CallRendering.Call> calls = new ArrayList<>(sent.size());
        for (CallState call : sent) {
            calls.add(new CallRendering.Call(call.name == null ? "" : call.name, call.arguments.toString()));
        }
        return calls;
    }

    /** The length of all calls' arguments text so far. */
    long argumentsLength() {
        return argumentsLength;
    }

    /** The number of calls so far (the index the next call gets). */
    int count() {
        return sent.size();
    }

    /** Repairs the tool calls of {@code delta} (one delta of this choice) in place. */
    Step repair(ObjectNode delta) {
        changed = false;
        boolean calls = repairCalls(delta);
        return new Step(calls, changed);
    }

    /**
     * Takes note of a call the repairer itself adds (text turned into a call): it gets the next
     * index and an id unique in the stream, which is returned.
     */
    String add(String name, String arguments) {
        CallState call = new CallState(sent.size());
        sent.add(call);
        last = call;
        call.name = name;
        call.appendArguments(arguments);
        String id;
        do {
            id = "call_" + Ids.alphanumeric(24);
        } while (streamIds.contains(id));
        streamIds.add(id);
        return id;
    }

    private boolean repairCalls(ObjectNode delta) {
        JsonNode node = delta.get("tool_calls");
        if (node == null || node.isNull()) {
            return false;
        }
        ArrayNode calls;
        if (node.isObject()) {
            calls = NODES.arrayNode().add(node);
            delta.set("tool_calls", calls);
            changed = true;
        } else if (node.isArray()) {
            calls = (ArrayNode) node;
        } else {
            return false; // not a shape anyone can read; passed on as it came
        }
        boolean unindexedBefore = false;
        for (int j = 0; j < calls.size(); ) {
            JsonNode call = calls.get(j);
            if (!call.isObject()) {
                j++;
                continue;
            }
            ObjectNode repaired = toolCall((ObjectNode) call, unindexedBefore);
            unindexedBefore |= !call.has("index");
            if (repaired == null) {
                calls.remove(j);
                changed = true;
            } else {
                if (repaired != call) {
                    calls.set(j, repaired);
                    changed = true;
                }
                j++;
            }
        }
        if (calls.isEmpty()) {
            delta.remove("tool_calls");
            changed = true;
            return false;
        }
        return true;
    }

    /**
     * The repaired call delta; null when nothing of it is left to send.
     *
     * @param unindexedBefore whether an entry without index came before this one in its delta
     */
    private ObjectNode toolCall(ObjectNode call, boolean unindexedBefore) {
        JsonNode idNode = call.get("id");
        String upstreamId = idNode != null && idNode.isTextual() && !idNode.textValue().isEmpty() ? idNode.textValue() : null;
        JsonNode indexNode = call.get("index");
        Integer upstreamIndex = indexNode != null && indexNode.isIntegralNumber() && indexNode.canConvertToInt()
                ? indexNode.asInt()
                : null;
        JsonNode functionNode = call.get("function");
        JsonNode nameNode = functionNode == null ? null : functionNode.get("name");
        boolean named = nameNode != null && nameNode.isTextual() && !nameNode.textValue().isEmpty();

        CallState target = null;
        boolean merged = false;
        boolean reused = false;
        if (upstreamId != null) {
            target = byId.get(upstreamId);
            if (target == null && upstreamIndex != null) {
                CallState atIndex = byIndex.get(upstreamIndex);
                if (atIndex != null && atIndex.upstreamId == null) {
                    // An id that arrives after the call's first delta: an id was already sent for it.
                    atIndex.upstreamId = upstreamId;
                    byId.put(upstreamId, atIndex);
                    target = atIndex;
                } else if (atIndex != null && !named) {
                    target = atIndex; // an argument fragment with an id of its own
                    record(target, Defect.CALL_FIELDS);
                } else {
                    reused = atIndex != null;
                }
            } else if (target == null && !named && last != null) {
                target = last; // an unindexed fragment with an id of its own
                record(target, Defect.CALL_FIELDS);
            }
        } else if (upstreamIndex != null) {
            target = byIndex.get(upstreamIndex);
            if (target == null && last != null && !last.indexed) {
                // The last call was opened without an index: this is its index, named late.
                target = last;
                target.indexed = true;
                byIndex.put(upstreamIndex, target);
            }
        } else if (last != null) {
            boolean startsAnother = unindexedBefore
                    || (named && last.name != null && last.scan.closed()
                            && (!nameNode.textValue().equals(last.name) || hasArguments(functionNode)));
            if (startsAnother) {
                merged = true;
            } else {
                target = last;
            }
        }
        if (target == null) {
            ObjectNode first = firstCallDelta(call, upstreamId, upstreamIndex);
            CallState opened = last;
            if (merged) {
                record(opened, Defect.MERGED_CALLS);
            }
            if (reused) {
                record(opened, Defect.REUSED_INDEX);
            }
            return first;
        }
        return laterCallDelta(target, call);
    }

    private static boolean hasArguments(JsonNode function) {
        JsonNode arguments = function.get("arguments");
        return arguments != null && !arguments.isNull() && !(arguments.isTextual() && arguments.textValue().isEmpty());
    }

    private void record(CallState call, Defect defect) {
        if (call.recorded.add(defect)) {
            counts.add(defect);
        }
    }

    private ObjectNode firstCallDelta(ObjectNode call, String upstreamId, Integer upstreamIndex) {
        CallState target = new CallState(sent.size());
        sent.add(target);
        last = target;
        if (upstreamIndex != null) {
            byIndex.put(upstreamIndex, target);
            target.indexed = true;
        }
        if (upstreamId != null) {
            target.upstreamId = upstreamId;
            byId.put(upstreamId, target);
        }
        if (upstreamIndex == null) {
            record(target, Defect.MISSING_INDEX);
        }
        if (upstreamId == null) {
            record(target, Defect.MISSING_ID);
        } else if (streamIds.contains(upstreamId)) {
            record(target, Defect.DUPLICATE_ID);
        }
        String id = upstreamId;
        while (id == null || streamIds.contains(id)) {
            id = "call_" + Ids.alphanumeric(24);
        }
        streamIds.add(id);

        JsonNode functionNode = call.get("function");
        ObjectNode function = functionNode instanceof ObjectNode object ? object : NODES.objectNode();
        JsonNode name = function.get("name");
        if (name != null && name.isTextual() && !name.textValue().isEmpty()) {
            target.name = name.textValue();
        }
        JsonNode arguments = function.get("arguments");
        JsonNode typeNode = call.get("type");
        if (arguments != null && !arguments.isNull() && !arguments.isTextual()) {
            record(target, Defect.ARGUMENTS_AS_OBJECT);
        } else if (arguments == null || arguments.isNull() || typeNode == null || !typeNode.isTextual()) {
            record(target, Defect.CALL_FIELDS);
        }

        ObjectNode repairedFunction = NODES.objectNode();
        if (target.name != null) {
            repairedFunction.put("name", target.name);
        }
        JsonNode argumentsText = argumentsText(arguments, true);
        repairedFunction.set("arguments", argumentsText);
        target.appendArguments(argumentsText.textValue());
        argumentsLength += argumentsText.textValue().length();
        copyOthers(function, repairedFunction, Set.of("name", "arguments"));
        ObjectNode repaired = NODES.objectNode();
        repaired.put("index", target.index);
        repaired.put("id", id);
        repaired.set("type", typeNode != null && typeNode.isTextual() ? typeNode : TextNode.valueOf("function"));
        repaired.set("function", repairedFunction);
        copyOthers(call, repaired, Set.of("index", "id", "type", "function"));
        // Keep the upstream's own node (and so its bytes) when it was right already.
        boolean unchanged = repaired.equals(call)
                && sameFieldOrder(repaired, call)
                && sameFieldOrder(repaired.get("function"), call.get("function"));
        return unchanged ? call : repaired;
    }

    private ObjectNode laterCallDelta(CallState target, ObjectNode call) {
        JsonNode index = call.get("index");
        if (index == null || !index.isIntegralNumber() || index.asInt() != target.index) {
            if (index == null) {
                record(target, Defect.MISSING_INDEX);
            }
            call.put("index", target.index);
            changed = true;
        }
        if (call.has("id") || call.has("type")) {
            call.remove("id");
            call.remove("type");
            record(target, Defect.CALL_FIELDS);
            changed = true;
        }
        JsonNode functionNode = call.get("function");
        if (functionNode instanceof ObjectNode function) {
            JsonNode name = function.get("name");
            if (name != null) {
                if (name.isTextual() && !name.textValue().isEmpty() && !name.textValue().equals(target.name)) {
                    // The first name the upstream sends, or a piece of a name sent in pieces.
                    target.name = target.name == null ? name.textValue() : target.name + name.textValue();
                } else {
                    function.remove("name");
                    record(target, Defect.CALL_FIELDS);
                    changed = true;
                }
            }
            JsonNode arguments = function.get("arguments");
            if (arguments != null) {
                JsonNode text = argumentsText(arguments, false);
                if (text == null) {
                    function.remove("arguments");
                    record(target, Defect.CALL_FIELDS);
                    changed = true;
                } else {
                    if (text != arguments) {
                        function.set("arguments", text);
                        record(target, Defect.ARGUMENTS_AS_OBJECT);
                        changed = true;
                    }
                    target.appendArguments(text.textValue());
                    argumentsLength += text.textValue().length();
                }
            }
            if (function.isEmpty()) {
                call.remove("function");
                changed = true;
            }
        } else if (functionNode != null) {
            call.remove("function");
            changed = true;
        }
        return call.size() == 1 ? null : call;
    }

    /** {@code arguments} as a string node: an object as its compact JSON; null/empty later pieces → null. */
    private static JsonNode argumentsText(JsonNode arguments, boolean first) {
        if (arguments == null || arguments.isNull()) {
            return first ? TextNode.valueOf("") : null;
        }
        if (arguments.isTextual()) {
            return arguments.textValue().isEmpty() && !first ? null : arguments;
        }
        return TextNode.valueOf(arguments.toString());
    }

    private static void copyOthers(ObjectNode from, ObjectNode to, Set<String> skip) {
        for (Map.Entry<String, JsonNode> field : from.properties()) {
            if (!skip.contains(field.getKey())) {
                to.set(field.getKey(), field.getValue());
            }
        }
    }

    private static boolean sameFieldOrder(JsonNode a, JsonNode b) {
        Iterator<String> x = a.fieldNames();
        Iterator<String> y = b.fieldNames();
        while (x.hasNext() && y.hasNext()) {
            if (!x.next().equals(y.next())) {
                return false;
            }
        }
        return !x.hasNext() && !y.hasNext();
    }

    private static final class CallState {
        final int index;
        String upstreamId;
        /** Whether the upstream has given this call an index. */
        boolean indexed;
        String name;
        /** The arguments text so far, up to {@link CallRendering#BOUND}; {@code scan} follows all of it. */
        final StringBuilder arguments = new StringBuilder();
        final JsonScan scan = new JsonScan();
        /** The defects counted for this call (each once). */
        final Set<Defect> recorded = EnumSet.noneOf(Defect.class);

        CallState(int index) {
            this.index = index;
        }

        void appendArguments(String text) {
            scan.feed(text);
            if (arguments.length() <= CallRendering.BOUND) {
                arguments.append(text, 0, Math.min(text.length(), CallRendering.BOUND + 1 - arguments.length()));
            }
        }
    }
}
