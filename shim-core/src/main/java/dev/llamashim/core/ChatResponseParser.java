package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a chat completion in one pass over its bytes with Jackson's streaming parser: known fields
 * become record components, every other field is copied as {@link RawJson}.
 */
final class ChatResponseParser {

    private final JsonParser p;
    /** The input, its first byte and its end: carried values are taken from it as they are when they can be. */
    private final byte[] input;
    private final int offset;
    private final int limit;

    private ChatResponseParser(JsonParser p, byte[] input, int offset, int limit) {
        this.p = p;
        this.input = input;
        this.offset = offset;
        this.limit = limit;
    }

    static ChatResponse parse(byte[] json, int offset, int length) {
        try (JsonParser p = Json.FACTORY.createParser(json, offset, length)) {
            ChatResponse response = new ChatResponseParser(p, json, offset, offset + length).response();
            if (p.nextToken() != null) {
                throw new ShimException("chat completion: unexpected content after the JSON object");
            }
            return response;
        } catch (JsonProcessingException e) {
            throw Json.notJson("chat completion", e);
        } catch (IOException e) {
            // Reading from a byte array does no I/O; this cannot happen short of a Jackson bug.
            throw new UncheckedIOException(e);
        }
    }

    private ChatResponse response() throws IOException {
        expect(p.nextToken(), JsonToken.START_OBJECT, "chat completion");
        String id = null;
        Long created = null;
        String model = null;
        String fingerprint = null;
        List<Choice> choices = null;
        RawJson usage = null;
        Map<String, RawJson> extras = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "id" -> id = optionalString(value, "id");
                case "created" -> created = optionalLong(value, "created");
                case "model" -> model = optionalString(value, "model");
                case "system_fingerprint" -> fingerprint = optionalString(value, "system_fingerprint");
                case "choices" -> choices = choices(value);
                case "usage" -> usage = value == JsonToken.VALUE_NULL ? null : carry();
                // "object" is always "chat.completion" here and "chat.completion.chunk" in the stream.
                case "object" -> p.skipChildren();
                default -> extras.put(field, carry());
            }
        }
        if (choices == null) {
            throw new ShimException("chat completion: missing \"choices\"");
        }
        if (choices.isEmpty()) {
            // Nothing to stream, and a stream without a choice is one no client can accumulate.
            throw new ShimException("chat completion: \"choices\" is empty");
        }
        return new ChatResponse(
                id != null && !id.isEmpty() ? id : "chatcmpl-" + Ids.alphanumeric(24),
                created != null ? created : Instant.now().getEpochSecond(),
                model != null ? model : "",
                fingerprint,
                choices,
                usage,
                extras);
    }

    private List<Choice> choices(JsonToken value) throws IOException {
        expect(value, JsonToken.START_ARRAY, "choices");
        List<Choice> choices = new ArrayList<>();
        Set<Integer> indices = new HashSet<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            Choice choice = choice(choices.size());
            if (!indices.add(choice.index())) {
                // Clients join deltas by index: two choices with one index would merge into one.
                throw new ShimException("choices[" + choices.size() + "]: index " + choice.index() + " is used twice");
            }
            choices.add(choice);
        }
        choices.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return choices;
    }

    private Choice choice(int position) throws IOException {
        String path = "choices[" + position + "]";
        expect(p.currentToken(), JsonToken.START_OBJECT, path);
        Integer index = null;
        Message message = null;
        String finishReason = null;
        RawJson logprobs = null;
        Map<String, RawJson> extras = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "index" -> index = optionalInt(value, path + ".index");
                case "message" -> message = message(value, path + ".message");
                case "finish_reason" -> finishReason = optionalString(value, path + ".finish_reason");
                case "logprobs" -> logprobs = value == JsonToken.VALUE_NULL ? null : carry();
                default -> extras.put(field, carry());
            }
        }
        if (message == null) {
            throw new ShimException(path + ": missing \"message\"");
        }
        return new Choice(index != null ? index : position, message, finishReason, logprobs, extras);
    }

    private Message message(JsonToken value, String path) throws IOException {
        expect(value, JsonToken.START_OBJECT, path);
        String role = null;
        String content = null;
        String reasoning = null;
        List<ToolCall> toolCalls = List.of();
        Map<String, RawJson> extras = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken token = p.nextToken();
            switch (field) {
                case "role" -> role = optionalString(token, path + ".role");
                case "content" -> content = optionalString(token, path + ".content");
                case "reasoning_content" -> reasoning = optionalString(token, path + ".reasoning_content");
                case "tool_calls" -> toolCalls = toolCalls(token, path + ".tool_calls");
                default -> extras.put(field, carry());
            }
        }
        return new Message(role != null ? role : "assistant", content, reasoning, toolCalls, extras);
    }

    private List<ToolCall> toolCalls(JsonToken value, String path) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return List.of();
        }
        expect(value, JsonToken.START_ARRAY, path);
        List<ToolCall> calls = new ArrayList<>();
        Set<Integer> indices = new HashSet<>();
        boolean shared = false;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            ToolCall call = toolCall(calls.size(), path + "[" + calls.size() + "]");
            shared |= !indices.add(call.index());
            calls.add(call);
        }
        if (shared) {
            // Clients join argument pieces by index: calls sharing one (Ollama numbers every call 0)
            // would merge into one, so each call gets its position instead.
            List<ToolCall> numbered = new ArrayList<>(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                ToolCall c = calls.get(i);
                numbered.add(new ToolCall(i, c.id(), c.type(), c.name(), c.arguments(), c.extras(), c.functionExtras()));
            }
            return numbered;
        }
        return calls;
    }

    private ToolCall toolCall(int position, String path) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT, path);
        Integer index = null;
        String id = null;
        String type = null;
        String[] function = null;
        Map<String, RawJson> functionExtras = new LinkedHashMap<>();
        Map<String, RawJson> extras = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "index" -> index = optionalInt(value, path + ".index");
                case "id" -> id = optionalString(value, path + ".id");
                case "type" -> type = optionalString(value, path + ".type");
                case "function" -> function = function(value, path + ".function", functionExtras);
                default -> extras.put(field, carry());
            }
        }
        if (function == null) {
            throw new ShimException(path + ": missing \"function\"");
        }
        return new ToolCall(
                index != null ? index : position,
                id != null && !id.isEmpty() ? id : "call_" + Ids.alphanumeric(24),
                type != null ? type : "function",
                function[0],
                function[1],
                extras,
                functionExtras);
    }

    /** Returns {name, arguments}; other fields of the function object go to {@code extras}. */
    private String[] function(JsonToken value, String path, Map<String, RawJson> extras) throws IOException {
        expect(value, JsonToken.START_OBJECT, path);
        String name = null;
        String arguments = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken token = p.nextToken();
            switch (field) {
                case "name" -> name = optionalString(token, path + ".name");
                case "arguments" -> arguments = arguments(token);
                default -> extras.put(field, carry());
            }
        }
        if (name == null) {
            throw new ShimException(path + ": missing \"name\"");
        }
        return new String[] {name, arguments != null ? arguments : ""};
    }

    /** Arguments are a JSON string by the spec; some servers send the object itself. */
    private String arguments(JsonToken token) throws IOException {
        return switch (token) {
            case VALUE_STRING -> p.getText();
            case VALUE_NULL -> null;
            default -> carry().json();
        };
    }

    /**
     * The current value, which the caller carries without interpreting it, as compact JSON text.
     * An object or array already in canonical form ({@link CanonicalJson}) is taken from the input
     * bytes as it is; anything else is re-written by {@link Json#copyValue}. Both give the same text.
     */
    private RawJson carry() throws IOException {
        JsonToken token = p.currentToken();
        // A byte offset is known for UTF-8 input only (-1 for UTF-16 and UTF-32, read as chars).
        long at = token.isStructStart() ? p.currentTokenLocation().getByteOffset() : -1;
        int start = offset + (int) at;
        if (at >= 0 && start < limit && input[start] == (token == JsonToken.START_OBJECT ? '{' : '[')) {
            int end = CanonicalJson.end(input, start, limit);
            if (end > 0) {
                p.skipChildren();
                if (offset + p.currentLocation().getByteOffset() != end) {
                    throw new IllegalStateException("the parser and CanonicalJson disagree on where a value ends");
                }
                return new RawJson(new String(input, start, end - start, StandardCharsets.UTF_8));
            }
        }
        return Json.copyValue(p);
    }

    private String optionalString(JsonToken token, String path) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(token, JsonToken.VALUE_STRING, path);
        return p.getText();
    }

    private Long optionalLong(JsonToken token, String path) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(token, JsonToken.VALUE_NUMBER_INT, path);
        // Jackson's own out-of-range error would surface as "not valid JSON", without the path.
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new ShimException(path + ": expected an integer that fits in 64 bits, found " + p.getText());
        }
        return p.getLongValue();
    }

    private Integer optionalInt(JsonToken token, String path) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(token, JsonToken.VALUE_NUMBER_INT, path);
        if (p.getNumberType() != JsonParser.NumberType.INT) {
            throw new ShimException(path + ": expected an integer that fits in 32 bits, found " + p.getText());
        }
        return p.getIntValue();
    }

    private static void expect(JsonToken actual, JsonToken expected, String path) {
        if (actual != expected) {
            throw new ShimException(path + ": expected " + Json.describe(expected) + ", found " + Json.describe(actual));
        }
    }
}
