package dev.llamashim.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
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
 */
final class ToolCallRepair {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Tool-call ids sent so far, over all choices of the stream: an id is never sent for two calls. */
    private final Set<String> streamIds;
    private final List<CallState> sent = new ArrayList<>();
    private final Map<String, CallState> byId = new HashMap<>();
    private final Map<Integer, CallState> byIndex = new HashMap<>();
    private CallState last;
    private boolean changed;

    ToolCallRepair(Set<String> streamIds) {
        this.streamIds = streamIds;
    }

    /** Whether the choice has made any tool call so far. */
    boolean any() {
        return !sent.isEmpty();
    }

    /** Whether the last {@link #repair} changed its delta; reading it resets it. */
    boolean takeChanged() {
        boolean was = changed;
        changed = false;
        return was;
    }

    /**
     * Repairs the tool calls of {@code delta} (one delta of this choice) in place; returns whether
     * any remain. {@link #takeChanged()} then tells whether the delta was changed.
     */
    boolean repair(ObjectNode delta) {
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
        for (int j = 0; j < calls.size(); ) {
            JsonNode call = calls.get(j);
            if (!call.isObject()) {
                j++;
                continue;
            }
            ObjectNode repaired = toolCall((ObjectNode) call);
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

    /** The repaired call delta; null when nothing of it is left to send. */
    private ObjectNode toolCall(ObjectNode call) {
        JsonNode idNode = call.get("id");
        String upstreamId = idNode != null && idNode.isTextual() && !idNode.textValue().isEmpty() ? idNode.textValue() : null;
        JsonNode indexNode = call.get("index");
        Integer upstreamIndex = indexNode != null && indexNode.isIntegralNumber() && indexNode.canConvertToInt()
                ? indexNode.asInt()
                : null;

        CallState target = null;
        if (upstreamId != null) {
            target = byId.get(upstreamId);
            if (target == null && upstreamIndex != null) {
                CallState atIndex = byIndex.get(upstreamIndex);
                if (atIndex != null && atIndex.upstreamId == null) {
                    // An id that arrives after the call's first delta: an id was already sent for it.
                    atIndex.upstreamId = upstreamId;
                    byId.put(upstreamId, atIndex);
                    target = atIndex;
                }
            }
        } else if (upstreamIndex != null) {
            target = byIndex.get(upstreamIndex);
            if (target == null && last != null && !last.indexed) {
                // The last call was opened without an index: this is its index, named late.
                target = last;
                target.indexed = true;
                byIndex.put(upstreamIndex, target);
            }
        } else {
            target = last;
        }
        if (target == null) {
            return firstCallDelta(call, upstreamId, upstreamIndex);
        }
        return laterCallDelta(target, call);
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

        ObjectNode repairedFunction = NODES.objectNode();
        if (target.name != null) {
            repairedFunction.put("name", target.name);
        }
        repairedFunction.set("arguments", argumentsText(arguments, true));
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
            call.put("index", target.index);
            changed = true;
        }
        if (call.has("id")) {
            call.remove("id");
            changed = true;
        }
        if (call.has("type")) {
            call.remove("type");
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
                    changed = true;
                }
            }
            JsonNode arguments = function.get("arguments");
            if (arguments != null) {
                JsonNode text = argumentsText(arguments, false);
                if (text == null) {
                    function.remove("arguments");
                    changed = true;
                } else if (text != arguments) {
                    function.set("arguments", text);
                    changed = true;
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

        CallState(int index) {
            this.index = index;
        }
    }
}
