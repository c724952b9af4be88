package dev.llamashim.core;

import java.util.Map;
import java.util.Objects;

/**
 * One function call the model asked for, as the response carried it.
 *
 * @param index position of the call in its message; what stream deltas call {@code index}
 * @param id the call's id (the parser generates {@code call_} + 24 alphanumerics when the
 *     response had none)
 * @param type the call's type, {@code "function"} unless the response said otherwise
 * @param name the function's name
 * @param arguments the arguments as JSON text, byte for byte as the response gave them (an
 *     object given instead of a string becomes its compact JSON text)
 * @param extras fields of the call object this type does not name, kept in response order and
 *     sent in the call's first delta
 * @param functionExtras fields of the {@code function} object besides {@code name} and
 *     {@code arguments}, sent in the call's first delta
 */
public record ToolCall(
        int index,
        String id,
        String type,
        String name,
        String arguments,
        Map<String, RawJson> extras,
        Map<String, RawJson> functionExtras) {

    /** Checks required parts and takes unmodifiable copies of the maps. */
    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
        extras = Extras.copyOf(extras);
        functionExtras = Extras.copyOf(functionExtras);
    }

    /** A plain {@code function} call with no extra fields. */
    public static ToolCall function(int index, String id, String name, String arguments) {
        return new ToolCall(index, id, "function", name, arguments, Map.of(), Map.of());
    }
}
