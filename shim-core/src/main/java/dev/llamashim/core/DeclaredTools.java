package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The functions a chat request declared as tools ({@code tools} or the older {@code functions}),
 * each with its {@code parameters} schema, and the one function its {@code tool_choice} (or
 * {@code function_call}) forces, if any. Immutable; schemas are private copies.
 */
public final class DeclaredTools {

    /** No tools declared: nothing is extracted from text, and no function is forced. */
    public static final DeclaredTools NONE = new DeclaredTools(Map.of(), null);


    private final Map<String, JsonNode> parameters;
    private final String forcedFunction;

    private DeclaredTools(Map<String, JsonNode> parameters, String forcedFunction) {
        this.parameters = parameters;
        this.forcedFunction = forcedFunction;
    }

    /**
     * The tools declared by a chat request body. A body that is not a JSON object, or members of
     * unexpected shapes, declare nothing: the request is the model server's to judge, not ours.
     */
    public static DeclaredTools fromRequest(byte[] body) {
        try {
            return fromRequest(Json.MAPPER.readTree(body));
        } catch (JsonProcessingException e) {
            return NONE;
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e);
        }
    }

    /** The tools declared by a chat request parsed as a tree (see {@link #fromRequest(byte[])}). */
    public static DeclaredTools fromRequest(JsonNode request) {
        if (request == null || !request.isObject()) {
            return NONE;
        }
        Map<String, JsonNode> parameters = new LinkedHashMap<>();
        for (JsonNode tool : request.path("tools")) {
            JsonNode function = tool.path("function");
            String type = tool.path("type").asText("function");
            if (type.equals("function")) {
                declare(parameters, function);
            }
        }
        for (JsonNode function : request.path("functions")) {
            declare(parameters, function);
        }
        String forced = forcedName(request.get("tool_choice"));
        if (forced == null) {
            forced = forcedName(request.get("function_call"));
        }
        if (parameters.isEmpty() && forced == null) {
            return NONE;
        }
        return new DeclaredTools(Collections.unmodifiableMap(parameters), forced);
    }

    /** Tools with these names and schemas (a null schema for a tool without one), forcing none. */
    public static DeclaredTools of(Map<String, JsonNode> parametersByName) {
        Map<String, JsonNode> copy = new LinkedHashMap<>();
        parametersByName.forEach((name, schema) -> copy.put(name, schema == null ? null : schema.deepCopy()));
        return copy.isEmpty() ? NONE : new DeclaredTools(Collections.unmodifiableMap(copy), null);
    }

    private static void declare(Map<String, JsonNode> parameters, JsonNode function) {
        JsonNode name = function.get("name");
        if (name != null && name.isTextual() && !name.textValue().isEmpty()) {
            JsonNode schema = function.get("parameters");
            parameters.put(name.textValue(), schema == null || !schema.isObject() ? null : schema.deepCopy());
        }
    }

    /** {@code {"type":"function","function":{"name":N}}} or {@code {"name":N}} names N; anything else none. */
    private static String forcedName(JsonNode choice) {
        if (choice == null || !choice.isObject()) {
            return null;
        }
        JsonNode name = choice.has("function") ? choice.path("function").get("name") : choice.get("name");
        return name != null && name.isTextual() && !name.textValue().isEmpty() ? name.textValue() : null;
    }

    /** Whether the request declared no tool. */
    public boolean isEmpty() {
        return parameters.isEmpty();
    }

    /** The declared function names, in declaration order. */
    public Set<String> names() {
        return parameters.keySet();
    }

    /** Whether a function of this name was declared. */
    public boolean declares(String name) {
        return parameters.containsKey(name);
    }

    /**
     * The {@code parameters} JSON schema declared for {@code name}; empty when the function was not
     * declared or declared without an object schema. The node must not be modified.
     */
    public Optional<JsonNode> parameters(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    /**
     * The function the request's {@code tool_choice} (or {@code function_call}) forces, if it names
     * one; OpenAI answers such a request with {@code finish_reason:"stop"}.
     */
    public Optional<String> forcedFunction() {
        return Optional.ofNullable(forcedFunction);
    }

    @Override
    public String toString() {
        return "DeclaredTools" + parameters.keySet() + (forcedFunction == null ? "" : ", forced " + forcedFunction);
    }
}
