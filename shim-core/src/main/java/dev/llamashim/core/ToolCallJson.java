package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * JSON reading and writing for tool calls found in text. Numbers keep their exact value (floats
 * are read as {@code BigDecimal} without stripping zeros, as {@link StreamRepairer} reads chunks),
 * and a value is only taken when the text is that one value and nothing else.
 */
final class ToolCallJson {


    private ToolCallJson() {}

    /** The one JSON value {@code text} holds (whitespace around it allowed), or null if it holds anything else. */
    static JsonNode read(String text) {
        if (MarkupText.onlySpacesFrom(text, 0)) {
            return null;
        }
        try {
            return Json.WHOLE_VALUE.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** A new empty object, to fill with typed arguments. */
    static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    /** The compact JSON text of {@code node}; lone surrogates are written as escapes. */
    static String compact(JsonNode node) {
        try {
            return Json.escapeLoneSurrogates(Json.MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new ShimException("cannot write tool call arguments: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A call of {@code name} with {@code arguments}, or null unless the name is declared and the
     * arguments are an object (or a JSON string holding one: some models write them so). Missing
     * arguments ({@code null} here) mean a call without arguments: {@code {}}.
     */
    static TextPiece.Call call(String name, JsonNode arguments, ToolCallFormat format, DeclaredTools tools) {
        if (name == null || !tools.declares(name)) {
            return null;
        }
        JsonNode object = arguments == null ? object() : arguments;
        if (object.isTextual()) {
            object = read(object.textValue());
        }
        if (object == null || !object.isObject()) {
            return null;
        }
        return new TextPiece.Call(name, compact(object), format);
    }

    /** A call of {@code name} whose arguments are the JSON text {@code arguments}; null unless that is one object and the name is declared. */
    static TextPiece.Call call(String name, String arguments, ToolCallFormat format, DeclaredTools tools) {
        JsonNode object = read(arguments);
        return object == null ? null : call(name, object, format, tools);
    }

    /**
     * A call from an object {@code {"name": N, "arguments": {…}}}; {@code parameters} is taken for
     * {@code arguments} (Llama 3.x writes it), but an object holding both is no call.
     */
    static TextPiece.Call callFromObject(JsonNode call, ToolCallFormat format, DeclaredTools tools) {
        if (call == null || !call.isObject()) {
            return null;
        }
        JsonNode name = call.get("name");
        if (name == null || !name.isTextual()) {
            return null;
        }
        JsonNode arguments = call.get("arguments");
        JsonNode parameters = call.get("parameters");
        if (arguments != null && parameters != null) {
            return null;
        }
        return call(name.textValue(), arguments != null ? arguments : parameters, format, tools);
    }
}
