package dev.llamashim.core.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.llamashim.core.SseChunk;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks an SSE byte stream against the stream contract of docs/STREAM-CONTRACT.md and lists every way it
 * breaks it. An empty list means the stream conforms; a strict OpenAI client can read it.
 *
 * <p>Messages name the event (numbered from 1 over every event of the stream, comments
 * included), the choice when the stream has more than one, and the tool call, e.g.
 * {@code event 7: tool call 0 repeats its name}. The checker does not stop at the first problem,
 * so one run shows everything a repair would have to fix.
 *
 * <p>What it checks:
 * <ul>
 *   <li>framing: UTF-8, no byte order mark, no {@code \r}; every event is {@code data: <one line>}
 *       or comment lines, each ended by a blank line ({@code \n\n}); the last is
 *       {@code data: [DONE]};
 *   <li>every chunk: a JSON object (no duplicate keys, no error event) with {@code id},
 *       {@code created}, {@code model} identical in every chunk, {@code system_fingerprint}
 *       present in all chunks or none and identical (a change is reported once, at the chunk
 *       that differs from the one before it), {@code object} {@code "chat.completion.chunk"};
 *   <li>every choice entry: {@code index}, a {@code delta} object, {@code finish_reason} present,
 *       {@code null} until the choice's last chunk;
 *   <li>pieces of {@code content}, {@code reasoning_content} and tool-call arguments never split a
 *       surrogate pair between two deltas;
 *   <li>per choice: the first delta has {@code role:"assistant"} and no later one has a role;
 *       {@code reasoning_content} before {@code content} before tool calls (an empty piece
 *       carries no text and is not held to this order: the synthesizer sends {@code content:""}
 *       with the role); at most one empty {@code content} (or {@code reasoning_content}) piece,
 *       and only when the whole field is empty; the last chunk of the choice has an empty delta
 *       and a {@code finish_reason};
 *   <li>tool calls: opened in order 0, 1, 2…, one at a time; the first delta of a call has
 *       {@code index}, a fresh non-empty {@code id}, {@code type:"function"}, a non-empty
 *       {@code function.name} and a string {@code function.arguments}; its later deltas carry
 *       {@code index} and a non-empty {@code function.arguments} only;
 *   <li>usage: with {@code include_usage}, exactly one chunk with {@code "choices":[]} and a
 *       {@code usage} field, as the last chunk; without, no such chunk. No other chunk carries a
 *       non-null {@code usage}.
 * </ul>
 *
 * <p>Fields the contract does not name (extras such as {@code timings}, {@code logprobs},
 * {@code refusal}) are allowed anywhere.
 */
public final class StreamContract {

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StreamContract() {}

    /**
     * The violations of the contract in {@code stream}, in stream order, then the ones only the
     * end of the stream reveals; empty when it conforms.
     *
     * @param stream the exact bytes of the response body
     * @param includeUsage whether the stream must end with a usage chunk: the request had
     *     {@code stream_options.include_usage: true} (and, for a synthesized stream, the response
     *     had a {@code usage} to send)
     */
    public static List<String> violations(byte[] stream, boolean includeUsage) {
        return new Checker(includeUsage).check(stream);
    }

    /** The violations of the stream these events render to (see {@link #violations(byte[], boolean)}). */
    public static List<String> violations(List<? extends SseChunk> events, boolean includeUsage) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (SseChunk event : events) {
            out.writeBytes(event.toBytes());
        }
        return violations(out.toByteArray(), includeUsage);
    }

    /**
     * Throws an {@link AssertionError} listing the violations when {@code stream} does not conform.
     */
    public static void assertConforms(byte[] stream, boolean includeUsage) {
        List<String> violations = violations(stream, includeUsage);
        if (!violations.isEmpty()) {
            throw new AssertionError("the stream breaks the stream contract (docs/STREAM-CONTRACT.md):\n  "
                    + String.join("\n  ", violations));
        }
    }

    /** One run over one stream. */
    private static final class Checker {

        private static final int REASONING = 1;
        private static final int CONTENT = 2;
        private static final int TOOLS = 3;

        private final boolean includeUsage;
        private final List<String> out = new ArrayList<>();
        private boolean multipleChoices;
        /** The chunk before the one being checked, whose envelope the next must repeat. */
        private JsonNode previous;
        private int previousEvent;
        private final Map<Integer, ChoiceState> choices = new TreeMap<>();
        private final Set<String> callIds = new HashSet<>();
        private int usageChunks;
        private int usageEvent = -1;
        private int lastChoiceChunkEvent = -1;

        Checker(boolean includeUsage) {
            this.includeUsage = includeUsage;
        }

        List<String> check(byte[] bytes) {
            String text = decode(bytes);
            if (text.startsWith("\uFEFF")) {
                out.add("the stream starts with a byte order mark");
                text = text.substring(1);
            }
            List<Event> events = split(text);
            if (events.isEmpty()) {
                out.add("the stream is empty; it must end with data: [DONE]");
                return out;
            }

            int done = -1;
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).isDone()) {
                    done = i;
                    break;
                }
            }
            if (done < 0) {
                out.add("the stream does not end with data: [DONE]");
            } else if (done < events.size() - 1) {
                out.add("event " + events.get(done + 1).number + ": follows data: [DONE]");
            }

            List<Chunk> chunks = new ArrayList<>();
            for (Event event : events.subList(0, done < 0 ? events.size() : done)) {
                if (event.data != null) {
                    Chunk chunk = parse(event);
                    if (chunk != null) {
                        chunks.add(chunk);
                    }
                }
            }
            Set<Integer> indices = new TreeSet<>();
            for (Chunk chunk : chunks) {
                for (JsonNode choice : chunk.node.path("choices")) {
                    if (choice.path("index").isIntegralNumber()) {
                        indices.add(choice.get("index").asInt());
                    }
                }
            }
            multipleChoices = indices.size() > 1 || (indices.size() == 1 && !indices.contains(0));

            for (Chunk chunk : chunks) {
                checkChunk(chunk.number, chunk.node);
            }
            finish(chunks.isEmpty());
            return out;
        }

        private String decode(byte[] bytes) {
            CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            try {
                return strict.decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                out.add("the stream is not valid UTF-8 (first bad byte at offset " + firstBadByte(bytes) + ")");
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        private static int firstBadByte(byte[] bytes) {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            CharBuffer sink = CharBuffer.allocate(bytes.length + 1);
            decoder.decode(in, sink, true);
            return in.position();
        }

        /** Cuts the text at each blank line and says what each piece is. */
        private List<Event> split(String text) {
            List<Event> events = new ArrayList<>();
            int number = 1;
            for (int pos = 0; pos < text.length(); number++) {
                int end = text.indexOf("\n\n", pos);
                boolean terminated = end >= 0;
                String raw = terminated ? text.substring(pos, end) : text.substring(pos);
                pos = terminated ? end + 2 : text.length();
                events.add(classify(number, raw, terminated));
            }
            return events;
        }

        private Event classify(int number, String raw, boolean terminated) {
            String at = "event " + number + ": ";
            if (!terminated && raw.endsWith("\n")) {
                raw = raw.substring(0, raw.length() - 1); // its line ended, but no blank line followed
            }
            if (raw.indexOf('\r') >= 0) {
                out.add(at + "contains a carriage return (events are lines ended by \\n, and a blank line)");
            }
            if (!terminated) {
                out.add(at + "is not ended by a blank line (\\n\\n)");
            }
            if (raw.isEmpty()) {
                out.add(at + "is empty (an extra blank line)");
                return new Event(number, null, false);
            }
            if (raw.startsWith(":")) {
                for (String line : raw.split("\n", -1)) {
                    if (!line.startsWith(":")) {
                        out.add(at + "mixes a comment with other lines: " + abbreviate(raw));
                        break;
                    }
                }
                return new Event(number, null, true);
            }
            if (!raw.startsWith("data: ")) {
                out.add(at + "is neither \"data: …\" nor a comment: " + abbreviate(raw));
                return new Event(number, null, false);
            }
            if (raw.indexOf('\n') >= 0) {
                out.add(at + "has more than one line; data must be one line of JSON: " + abbreviate(raw));
                return new Event(number, null, false);
            }
            return new Event(number, raw.substring("data: ".length()), false);
        }

        private Chunk parse(Event event) {
            String at = "event " + event.number + ": ";
            JsonNode node;
            try {
                node = STRICT.readTree(event.data);
            } catch (JsonProcessingException e) {
                out.add(at + "is not valid JSON: " + e.getOriginalMessage());
                return null;
            }
            if (node == null || !node.isObject()) {
                out.add(at + "is not a JSON object: " + abbreviate(event.data));
                return null;
            }
            if (node.hasNonNull("error")) {
                JsonNode message = node.path("error").path("message");
                out.add(at + "is an error event: " + (message.isTextual() ? message.asText() : node.get("error").toString()));
                return null;
            }
            return new Chunk(event.number, node);
        }

        private void checkChunk(int number, JsonNode chunk) {
            String at = "event " + number + ": ";
            JsonNode object = chunk.get("object");
            if (object == null || !"chat.completion.chunk".equals(object.textValue())) {
                out.add(at + "\"object\" is " + (object == null ? "missing" : object.toString())
                        + ", expected \"chat.completion.chunk\"");
            }
            envelopeField(at, chunk, "id", true);
            envelopeField(at, chunk, "created", true);
            envelopeField(at, chunk, "model", true);
            envelopeField(at, chunk, "system_fingerprint", false);
            // Compared with the previous chunk, so that one change is reported once, where it happens.
            previous = chunk;
            previousEvent = number;

            JsonNode choiceArray = chunk.get("choices");
            JsonNode usage = chunk.get("usage");
            if (choiceArray == null || !choiceArray.isArray()) {
                out.add(at + "has no \"choices\" array");
                return;
            }
            if (choiceArray.isEmpty()) {
                usageChunk(at, number, usage);
                return;
            }
            lastChoiceChunkEvent = number;
            if (usage != null && !usage.isNull()) {
                out.add(at + "carries \"usage\" outside the usage chunk");
            }
            Set<Integer> seen = new HashSet<>();
            for (int k = 0; k < choiceArray.size(); k++) {
                JsonNode entry = choiceArray.get(k);
                if (!entry.isObject()) {
                    out.add(at + "choices[" + k + "] is not an object");
                    continue;
                }
                JsonNode index = entry.get("index");
                if (index == null || !index.isIntegralNumber() || !index.canConvertToInt() || index.asInt() < 0) {
                    out.add(at + "choices[" + k + "] has no non-negative integer \"index\"");
                    continue;
                }
                int c = index.asInt();
                if (!seen.add(c)) {
                    out.add(at + "choice " + c + " appears twice in one chunk");
                    continue;
                }
                choice(number, c, entry);
            }
        }

        private void envelopeField(String at, JsonNode chunk, String field, boolean required) {
            JsonNode value = chunk.get(field);
            boolean absent = value == null || (!required && value.isNull());
            if (absent && required) {
                out.add(at + "has no \"" + field + "\"");
                return;
            }
            if (!absent) {
                // An empty id is the response's own (the synthesizer copies it); it is still a string.
                boolean typed = field.equals("created") ? value.isIntegralNumber() : value.isTextual();
                if (!typed) {
                    out.add(at + "\"" + field + "\" is not " + (field.equals("created") ? "an integer" : "a string")
                            + ": " + value);
                    return;
                }
            }
            if (previous == null) {
                return;
            }
            JsonNode reference = previous.get(field);
            boolean referenceAbsent = reference == null || reference.isNull();
            if (required && referenceAbsent) {
                return; // already reported at the previous chunk
            }
            if (absent && !referenceAbsent) {
                out.add(at + "has no \"" + field + "\", but event " + previousEvent + " had " + reference);
            } else if (!absent && referenceAbsent) {
                out.add(at + "has \"" + field + "\" " + value + ", but event " + previousEvent + " had none");
            } else if (!absent && !value.equals(reference)) {
                out.add(at + "\"" + field + "\" is " + value + ", but event " + previousEvent + " had " + reference);
            }
        }

        private void usageChunk(String at, int number, JsonNode usage) {
            if (!includeUsage) {
                out.add(at + "is a usage chunk (\"choices\":[]), but include_usage was not requested");
                return;
            }
            usageChunks++;
            if (usageChunks > 1) {
                out.add(at + "is a second usage chunk (\"choices\":[])");
                return;
            }
            usageEvent = number;
            if (usage == null) {
                out.add(at + "has \"choices\":[] but no \"usage\"");
            } else if (!usage.isObject() && !usage.isNull()) {
                out.add(at + "\"usage\" is not an object: " + usage);
            }
        }

        private void choice(int number, int c, JsonNode entry) {
            String at = "event " + number + ": " + (multipleChoices ? "choice " + c + ", " : "");
            ChoiceState state = choices.computeIfAbsent(c, ChoiceState::new);
            if (state.finished) {
                out.add(at + "continues after its finish chunk (event " + state.finishEvent + ")");
                return;
            }
            boolean firstDelta = !state.started;
            state.started = true;
            state.eventNumber = number;

            JsonNode finish = entry.get("finish_reason");
            if (finish == null) {
                out.add(at + "has no \"finish_reason\" (it is null until the choice's last chunk)");
            } else if (!finish.isNull() && !finish.isTextual()) {
                out.add(at + "\"finish_reason\" is not a string or null: " + finish);
            }
            JsonNode delta = entry.get("delta");
            if (delta == null || !delta.isObject()) {
                out.add(at + "has no \"delta\" object");
                return;
            }

            JsonNode role = delta.get("role");
            if (firstDelta) {
                if (role == null || role.isNull()) {
                    out.add(at + "first delta has no \"role\"");
                } else if (!"assistant".equals(role.textValue())) {
                    out.add(at + "first delta has role " + role + ", expected \"assistant\"");
                }
            } else if (role != null && !role.isNull()) {
                out.add(at + "repeats \"role\" after the first delta");
            }

            text(at, number, state, delta, "reasoning_content", REASONING, state.reasoning);
            text(at, number, state, delta, "content", CONTENT, state.content);
            JsonNode calls = delta.get("tool_calls");
            if (calls != null && !calls.isNull()) {
                if (!calls.isArray()) {
                    out.add(at + "\"tool_calls\" is not an array: " + abbreviate(calls.toString()));
                } else if (calls.isEmpty()) {
                    out.add(at + "sends an empty \"tool_calls\" array");
                } else {
                    state.phase = TOOLS;
                    for (int j = 0; j < calls.size(); j++) {
                        toolCall(at, state, j, calls.get(j));
                    }
                }
            }

            if (finish != null && finish.isTextual()) {
                if (!delta.isEmpty()) {
                    out.add(at + "finish chunk has a non-empty delta: " + abbreviate(delta.toString()));
                }
                state.finished = true;
                state.finishEvent = number;
            }
        }

        private void text(String at, int number, ChoiceState state, JsonNode delta, String field, int phase, TextState text) {
            JsonNode value = delta.get(field);
            if (value == null || value.isNull()) {
                return;
            }
            if (!value.isTextual()) {
                out.add(at + "\"" + field + "\" is not a string: " + abbreviate(value.toString()));
                return;
            }
            if (value.textValue().isEmpty()) {
                // An empty piece carries no text, so it cannot be out of order; whether it may be
                // sent at all is checked at the end (see emptyPieces).
                text.emptyPieces.add(number);
                return;
            }
            if (state.phase > phase) {
                out.add(at + "sends " + field + " after " + (state.phase == TOOLS ? "tool calls" : "content"));
            }
            state.phase = Math.max(state.phase, phase);
            text.nonEmptyPieces++;
            piece(at, number, state, field, value.textValue());
        }

        private void toolCall(String at, ChoiceState state, int j, JsonNode call) {
            if (!call.isObject()) {
                out.add(at + "tool_calls[" + j + "] is not an object");
                return;
            }
            JsonNode index = call.get("index");
            if (index == null || !index.isIntegralNumber() || !index.canConvertToInt()) {
                out.add(at + "tool_calls[" + j + "] has no integer \"index\"");
                return;
            }
            int i = index.asInt();
            String name = "tool call " + i;
            JsonNode function = call.get("function");
            if (!state.calls.contains(i)) {
                if (i != state.calls.size()) {
                    out.add(at + name + " opens out of order; expected tool call " + state.calls.size());
                }
                state.calls.add(i);
                state.currentCall = i;
                JsonNode id = call.get("id");
                if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
                    out.add(at + name + "'s first delta has no non-empty \"id\"");
                } else if (!callIds.add(id.textValue())) {
                    out.add(at + name + " repeats id " + id + " of an earlier call");
                }
                JsonNode type = call.get("type");
                if (type == null || !"function".equals(type.textValue())) {
                    out.add(at + name + "'s first delta has " + (type == null ? "no \"type\"" : "type " + type)
                            + ", expected \"function\"");
                }
                if (function == null || !function.isObject()) {
                    out.add(at + name + "'s first delta has no \"function\" object");
                    return;
                }
                JsonNode functionName = function.get("name");
                if (functionName == null || !functionName.isTextual() || functionName.textValue().isEmpty()) {
                    out.add(at + name + "'s first delta has no non-empty \"function.name\"");
                }
                JsonNode arguments = function.get("arguments");
                if (arguments == null || !arguments.isTextual()) {
                    out.add(at + name + "'s first delta has no string \"function.arguments\"");
                } else {
                    piece(at, state.eventNumber, state, name + " arguments", arguments.textValue());
                }
                return;
            }
            if (i != state.currentCall) {
                out.add(at + name + " continues after tool call " + state.currentCall + " began");
            }
            if (call.has("id")) {
                out.add(at + name + " repeats its id");
            }
            if (call.has("type")) {
                out.add(at + name + " repeats its type");
            }
            for (Iterator<String> fields = call.fieldNames(); fields.hasNext(); ) {
                String field = fields.next();
                if (!Set.of("index", "id", "type", "function").contains(field)) {
                    out.add(at + name + "'s later delta has the unexpected field \"" + field + "\"");
                }
            }
            if (function == null || !function.isObject()) {
                out.add(at + name + "'s later delta has no \"function\" object");
                return;
            }
            if (function.has("name")) {
                out.add(at + name + " repeats its name");
            }
            for (Iterator<String> fields = function.fieldNames(); fields.hasNext(); ) {
                String field = fields.next();
                if (!field.equals("name") && !field.equals("arguments")) {
                    out.add(at + name + "'s later delta has the unexpected field \"function." + field + "\"");
                }
            }
            JsonNode arguments = function.get("arguments");
            if (arguments == null || !arguments.isTextual()) {
                out.add(at + name + "'s later delta has no string \"function.arguments\"");
            } else if (arguments.textValue().isEmpty()) {
                out.add(at + name + " sends an empty arguments piece");
            } else {
                piece(at, state.eventNumber, state, name + " arguments", arguments.textValue());
            }
        }

        /**
         * Checks that {@code piece} and the piece of the same field before it do not share a
         * surrogate pair (the first ending in its high half, this one starting with the low half):
         * a piece must never split a code point, even though concatenation would mend it.
         */
        private void piece(String at, int number, ChoiceState state, String what, String piece) {
            if (piece.isEmpty()) {
                return;
            }
            Integer before = state.danglingHighSurrogate.remove(what);
            if (before != null && Character.isLowSurrogate(piece.charAt(0))) {
                out.add(at + what + " piece splits a surrogate pair with the piece in event " + before);
            }
            if (Character.isHighSurrogate(piece.charAt(piece.length() - 1))) {
                state.danglingHighSurrogate.put(what, number);
            }
        }

        private void finish(boolean noChunks) {
            if (noChunks) {
                out.add("no chat.completion.chunk before data: [DONE]");
            }
            for (ChoiceState state : choices.values()) {
                String choice = "choice " + state.index;
                if (!state.finished) {
                    out.add(choice + " has no finish chunk (an empty delta with a finish_reason)");
                }
                emptyPieces(state, "content", state.content);
                emptyPieces(state, "reasoning_content", state.reasoning);
            }
            if (includeUsage && usageChunks == 0) {
                out.add("no usage chunk (\"choices\":[] with \"usage\"), though include_usage was requested");
            }
            if (usageEvent >= 0 && usageEvent < lastChoiceChunkEvent) {
                out.add("event " + usageEvent + ": the usage chunk is not the last chunk before data: [DONE]");
            }
        }

        private void emptyPieces(ChoiceState state, String field, TextState text) {
            String at = multipleChoices ? "choice " + state.index + ", " : "";
            if (text.emptyPieces.size() > 1) {
                out.add("event " + text.emptyPieces.get(1) + ": " + at + "sends a second empty " + field + " piece");
            } else if (text.emptyPieces.size() == 1 && text.nonEmptyPieces > 0) {
                out.add("event " + text.emptyPieces.get(0) + ": " + at + "sends an empty " + field
                        + " piece, but its " + field + " is not empty");
            }
        }

        private static String abbreviate(String text) {
            String oneLine = text.replace("\r", "\\r").replace("\n", "\\n");
            return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
        }
    }

    /** One event: {@code data} is the payload of a well-formed data event, else {@code null}. */
    private record Event(int number, String data, boolean comment) {
        boolean isDone() {
            return "[DONE]".equals(data);
        }
    }

    private record Chunk(int number, JsonNode node) {}

    private static final class TextState {
        final List<Integer> emptyPieces = new ArrayList<>();
        int nonEmptyPieces;
    }

    private static final class ChoiceState {
        final int index;
        boolean started;
        boolean finished;
        int finishEvent;
        int phase;
        final TextState content = new TextState();
        final TextState reasoning = new TextState();
        final List<Integer> calls = new ArrayList<>();
        int currentCall = -1;
        /** The event being checked, for the pieces of tool calls. */
        int eventNumber;
        /** Per field ("content", "tool call 0 arguments"…): the event whose piece ended in a high surrogate. */
        final Map<String, Integer> danglingHighSurrogate = new java.util.HashMap<>();

        ChoiceState(int index) {
            this.index = index;
        }
    }
}
