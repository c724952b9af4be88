package dev.llamashim.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Gives the argument values of XML-style markup (Qwen3-Coder, GLM), which are text, the JSON
 * type the tool's {@code parameters} schema declares for them, as vLLM's
 * {@code qwen3coder_tool_parser.py} does: {@code properties.KEY.type} (a name, a list of names,
 * or the {@code type}s of simple {@code anyOf}/{@code oneOf} branches) says integer, number,
 * boolean, null, object or array, and the value's text (whitespace around it ignored) parses as
 * such a value: then it is that value. Anything else — a string type, a key the schema does not
 * name, no schema, a text that does not parse as the declared type — is a JSON string of the text.
 * (llama.cpp and vLLM's GLM parser try JSON for undeclared keys too; a string is the safer guess.)
 */
final class XmlArgumentTypes {

    private XmlArgumentTypes() {}

    /** The arguments object for {@code values} (key to value text, in order) of a call of {@code function}. */
    static String arguments(String function, Map<String, String> values, DeclaredTools tools) {
        JsonNode properties = tools.parameters(function).map(schema -> schema.get("properties")).orElse(null);
        ObjectNode arguments = ToolCallJson.object();
        values.forEach((key, text) -> {
            JsonNode property = properties == null ? null : properties.get(key);
            arguments.set(key, typed(text, property));
        });
        return ToolCallJson.compact(arguments);
    }

    private static JsonNode typed(String text, JsonNode property) {
        for (String type : types(property)) {
            Optional<JsonNode> value = parse(text.strip(), type);
            if (value.isPresent()) {
                return value.get();
            }
        }
        return TextNode.valueOf(text);
    }

    /** The JSON types a property schema names, in its order. */
    private static List<String> types(JsonNode property) {
        List<String> types = new ArrayList<>(2);
        if (property == null || !property.isObject()) {
            return types;
        }
        addTypes(property.get("type"), types);
        for (String union : new String[] {"anyOf", "oneOf"}) {
            JsonNode branches = property.get(union);
            if (branches != null && branches.isArray()) {
                for (JsonNode branch : branches) {
                    addTypes(branch.get("type"), types);
                }
            }
        }
        return types;
    }

    private static void addTypes(JsonNode type, List<String> types) {
        if (type == null) {
            return;
        }
        if (type.isTextual()) {
            types.add(type.textValue());
        } else if (type.isArray()) {
            for (JsonNode name : type) {
                if (name.isTextual()) {
                    types.add(name.textValue());
                }
            }
        }
    }

    private static Optional<JsonNode> parse(String text, String type) {
        switch (type) {
            case "boolean" -> {
                String lower = text.toLowerCase(Locale.ROOT);
                return lower.equals("true") || lower.equals("false")
                        ? Optional.of(BooleanNode.valueOf(lower.equals("true")))
                        : Optional.empty();
            }
            case "null" -> {
                return text.equals("null") ? Optional.of(NullNode.getInstance()) : Optional.empty();
            }
            case "integer", "number", "object", "array" -> {
                JsonNode value = ToolCallJson.read(text);
                boolean fits = value != null && switch (type) {
                    case "integer" -> value.isIntegralNumber();
                    case "number" -> value.isNumber();
                    case "object" -> value.isObject();
                    default -> value.isArray();
                };
                return fits ? Optional.of(value) : Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }
}
