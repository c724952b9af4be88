package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Whether a choice's content is wholly a JSON rendering of exactly the tool calls it carries, as
 * LocalAI sends it next to the real {@code tool_calls}: {@code {"name":…,"arguments":{…}}} (keys
 * in any order, {@code parameters} for {@code arguments}, arguments as an object or as JSON text),
 * or an array of such objects, one per call in call order, with any whitespace around. Names must
 * be equal and arguments JSON-equal.
 */
final class CallRendering {

    /** Content longer than this (in UTF-16 units) is never taken for a rendering, nor held as one. */
    static final int BOUND = 64 * 1024;

    private static final Set<String> KEYS = Set.of("name", "arguments", "parameters");

    private CallRendering() {}

    /** One call as the choice carries it. */
    record Call(String name, String arguments) {}

    /** Whether {@code content} is a rendering of {@code calls} (never for no calls). */
    static boolean isRenderingOf(String content, List<Call> calls) {
        if (content == null || calls.isEmpty() || content.length() > BOUND) {
            return false;
        }
        List<JsonNode> rendered = rendered(content);
        if (rendered == null || rendered.size() != calls.size()) {
            return false;
        }
        for (int i = 0; i < calls.size(); i++) {
            JsonNode object = rendered.get(i);
            Call call = calls.get(i);
            if (!call.name().equals(object.get("name").textValue())) {
                return false;
            }
            JsonNode arguments = object.has("arguments") ? object.get("arguments") : object.get("parameters");
            JsonNode renderedArguments = arguments.isTextual() ? parse(arguments.textValue()) : arguments;
            JsonNode callArguments = call.arguments().isBlank() ? Json.MAPPER.createObjectNode() : parse(call.arguments());
            if (renderedArguments == null || !renderedArguments.isObject() || !renderedArguments.equals(callArguments)) {
                return false;
            }
        }
        return true;
    }

    /** The rendered call objects, or null when the text is not a rendering of calls at all. */
    private static List<JsonNode> rendered(String content) {
        JsonNode node = parse(content);
        if (node == null) {
            return null;
        }
        List<JsonNode> objects = new ArrayList<>();
        if (node.isObject()) {
            objects.add(node);
        } else if (node.isArray() && !node.isEmpty()) {
            node.forEach(objects::add);
        } else {
            return null;
        }
        for (JsonNode object : objects) {
            if (!object.isObject() || !object.path("name").isTextual()
                    || object.has("arguments") == object.has("parameters")) {
                return null;
            }
            for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
                if (!KEYS.contains(names.next())) {
                    return null;
                }
            }
        }
        return objects;
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * Content of a stream fed in pieces, while it could still turn out to be a rendering: an object
     * or array whose first key is {@code name}, {@code arguments} or {@code parameters}, within
     * {@link #BOUND}. Whitespace alone could still become one.
     */
    static final class Prefix {

        private final JsonScan scan = new JsonScan();
        private int length;

        /** Takes the next piece; returns whether the text so far could still be a rendering. */
        boolean feed(String piece) {
            length += piece.length();
            scan.feed(piece);
            return possible();
        }

        boolean possible() {
            if (scan.invalid() || length > BOUND) {
                return false;
            }
            String firstKey = scan.firstString();
            return firstKey == null || KEYS.contains(firstKey);
        }
    }
}
