package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Rewrites an upstream's native {@code chat.completion.chunk} SSE stream, fed as bytes in pieces
 * split anywhere, into a stream that meets the contract of DESIGN.md §3, chunk by chunk as the
 * upstream sends them. It mends what real servers get wrong, and leaves the rest as it came:
 * <ul>
 *   <li>tool calls: a missing {@code index} becomes the call's order of first appearance in its
 *       choice (a delta with an {@code id} not seen before opens a new call; one with neither
 *       {@code id} nor {@code index} continues the last call); a missing or repeated {@code id}
 *       becomes {@code call_} + 24 alphanumerics; {@code type:"function"}, {@code id} and
 *       {@code function.name} go in the call's first delta only (a name repeated verbatim later is
 *       dropped, so clients do not concatenate {@code get_weatherget_weather}); {@code arguments}
 *       is always a string (an object becomes its compact JSON; a first delta without it gets
 *       {@code ""}; empty later pieces are dropped);
 *   <li>{@code id}, {@code created}, {@code model}, {@code system_fingerprint} and {@code object}
 *       of every chunk are the first chunk's;
 *   <li>the first delta of each choice has {@code role:"assistant"}, later ones none; an empty
 *       {@code content:""} (or {@code reasoning_content:""}) piece is sent only when the choice
 *       ends without text in that field (the old llama-server sends one before its text);
 *   <li>finish chunks carry an empty delta (a delta sent with the finish reason goes in a chunk of
 *       its own first) and are held until the upstream's end, so every choice's finish follows
 *       all deltas (what openai-java's accumulator needs); a choice the upstream never finished
 *       gets {@code tool_calls} (it had calls) or {@code stop};
 *   <li>usage: an upstream usage chunk ({@code "choices":[]}) is passed on last when the client
 *       asked for {@code include_usage}; {@code usage} found on a choice chunk (the old
 *       llama-server puts it on the finish chunk) is moved into such a chunk. Without
 *       {@code include_usage} usage is dropped (the fields next to it, like {@code timings}, go
 *       on the last finish chunk);
 *   <li>{@code data: [DONE]} ends the output, whether or not the upstream sent it.
 * </ul>
 * Comments (heartbeats) pass through at once. An in-stream error event
 * ({@code data: {"error":…}}) is passed on unchanged and ends the output: nothing follows it,
 * neither finish chunks nor {@code [DONE]}, so that no client can take the cut-off message for a
 * complete one. Fields the contract does not name are passed on where they came. A chunk that
 * needs no repair keeps its upstream JSON text byte for byte (framed as {@code data: …\n\n}), so
 * a stream that is already right comes out unchanged. See docs/NOTES.md for the choices made.
 *
 * <p>Each call of the sink receives exactly one complete event, so a caller can flush after each.
 * Not thread-safe: one repairer per stream.
 */
public final class StreamRepairer {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] ENVELOPE = {"id", "object", "created", "model", "system_fingerprint"};
    private static final Set<String> ENVELOPE_FIELDS = Set.of(ENVELOPE);
    private static final Set<String> ENTRY_FIELDS = Set.of("index", "delta", "finish_reason", "logprobs");
    private static final byte[] DONE = SseChunk.DONE.toBytes();
    private static final String REASONING = "reasoning_content";
    private static final String CONTENT = "content";

    private final RepairOptions options;
    private final boolean includeUsage;
    private final Consumer<byte[]> sink;
    private final SseParser parser;

    /** The first chunk's envelope ({@code id}, {@code object}, …) in its order; null before it. */
    private ObjectNode envelope;
    private final Map<Integer, ChoiceState> choices = new LinkedHashMap<>();
    /** Tool-call ids sent so far, over all choices: an id is never sent for two calls. */
    private final Set<String> callIds = new HashSet<>();
    /** The upstream's usage chunk, held to go last; with include_usage only. */
    private Out usageChunk;
    /** {@code usage} found on a choice chunk. */
    private JsonNode strayUsage;
    /** Top-level fields of dropped chunks, for the last chunk. */
    private final Map<String, JsonNode> orphanFields = new LinkedHashMap<>();
    private int eventNumber;
    /** Set while one upstream chunk is repaired: whether its original text can no longer be sent. */
    private boolean dirty;
    private boolean ended;
    private boolean finished;

    /**
     * A repairer for one stream that hands each repaired event to {@code sink}.
     *
     * @param includeUsage whether the client's request had {@code stream_options.include_usage:true}
     * @param sink receives each output event's bytes, one complete event per call
     */
    public StreamRepairer(boolean includeUsage, Consumer<byte[]> sink) {
        this(RepairOptions.of(includeUsage), sink);
    }

    /**
     * A repairer for one stream of a request described by {@code options} that hands each
     * repaired event to {@code sink}, one complete event per call.
     */
    public StreamRepairer(RepairOptions options, Consumer<byte[]> sink) {
        this.options = Objects.requireNonNull(options, "options");
        this.includeUsage = options.includeUsage();
        this.sink = Objects.requireNonNull(sink, "sink");
        this.parser = new SseParser(this::onEvent);
    }

    /** Repairs a whole stream at once and returns the repaired bytes. */
    public static byte[] repair(byte[] stream, boolean includeUsage) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(stream.length + 256);
        StreamRepairer repairer = new StreamRepairer(includeUsage, out::writeBytes);
        repairer.feed(stream, 0, stream.length);
        repairer.finish();
        return out.toByteArray();
    }

    /** Whether the client asked for a usage chunk. */
    public boolean includeUsage() {
        return includeUsage;
    }

    /**
     * Feeds the next {@code length} upstream bytes, writing the events they complete.
     *
     * @throws ShimException when an event is not a JSON object or a choice is malformed beyond
     *     repair; the repairer is then unusable, and the caller should end the stream with an error
     */
    public void feed(byte[] bytes, int offset, int length) {
        parser.feed(bytes, offset, length);
    }

    /** Feeds the buffer's remaining bytes, leaving its position at its limit (see {@link #feed(byte[], int, int)}). */
    public void feed(ByteBuffer bytes) {
        parser.feed(bytes);
    }

    /**
     * Ends the upstream stream: writes what the upstream left out (held chunks, finish chunks,
     * the usage chunk, {@code data: [DONE]}) unless an error event ended it. Calling it again does nothing.
     */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        parser.finish();
        end();
    }

    // ---------------------------------------------------------------------------------------
    // Events

    private void onEvent(SseChunk event) {
        if (ended) {
            return; // after [DONE] or an error nothing more is sent
        }
        eventNumber++;
        if (event instanceof SseChunk.Comment) {
            sink.accept(event.toBytes());
        } else if (event instanceof SseChunk.Done) {
            end();
        } else {
            onData(((SseChunk.Data) event).data());
        }
    }

    private void onData(String payload) {
        JsonNode parsed;
        try {
            parsed = MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            throw Json.notJson("event stream: event " + eventNumber, e);
        }
        if (parsed == null || !parsed.isObject()) {
            throw new ShimException("event stream: event " + eventNumber + " is not a JSON object");
        }
        ObjectNode chunk = (ObjectNode) parsed;
        dirty = payload.indexOf('\n') >= 0 || payload.indexOf('\r') >= 0;
        if (chunk.hasNonNull("error")) {
            // What was held back goes first (it carries no text); finish chunks, usage and [DONE]
            // do not follow: they would tell a lenient client that the cut-off message is complete.
            List<Out> held = new ArrayList<>();
            for (ChoiceState state : choices.values()) {
                releaseHeld(state, held);
            }
            held.forEach(this::write);
            write(new Out(chunk, payload, dirty));
            ended = true;
            return;
        }
        fixEnvelope(chunk);
        JsonNode choiceArray = chunk.get("choices");
        if (choiceArray == null || choiceArray.isNull() || (choiceArray.isArray() && choiceArray.isEmpty())) {
            onChoicelessChunk(chunk, payload);
            return;
        }
        if (choiceArray.isObject()) {
            choiceArray = NODES.arrayNode().add(choiceArray);
            chunk.set("choices", choiceArray);
            dirty = true;
        } else if (!choiceArray.isArray()) {
            throw new ShimException("event stream: event " + eventNumber + ": \"choices\" is not an array");
        }
        JsonNode usage = chunk.get("usage");
        if (usage != null && !usage.isNull()) {
            strayUsage = usage;
            chunk.remove("usage");
            dirty = true;
        }
        onChoiceChunk(chunk, payload, (ArrayNode) choiceArray);
    }

    /** A chunk without choices: the usage chunk, or an envelope carrying extra fields only. */
    private void onChoicelessChunk(ObjectNode chunk, String payload) {
        JsonNode usage = chunk.get("usage");
        if (usage != null && !usage.isNull() && includeUsage) {
            if (!chunk.has("choices") || !chunk.get("choices").isArray()) {
                chunk.set("choices", NODES.arrayNode());
                dirty = true;
            }
            usageChunk = new Out(chunk, payload, dirty);
            return;
        }
        for (Map.Entry<String, JsonNode> field : chunk.properties()) {
            String name = field.getKey();
            if (!ENVELOPE_FIELDS.contains(name) && !name.equals("choices") && !name.equals("usage")) {
                orphanFields.put(name, field.getValue());
            }
        }
    }

    private void onChoiceChunk(ObjectNode chunk, String payload, ArrayNode entries) {
        List<Out> before = new ArrayList<>();
        boolean single = entries.size() == 1;
        ArrayNode kept = NODES.arrayNode();
        List<ObjectNode> finishEntries = new ArrayList<>();
        List<ObjectNode> finishDeltas = new ArrayList<>();
        ChoiceState holdFor = null;
        for (int k = 0; k < entries.size(); k++) {
            JsonNode node = entries.get(k);
            if (!node.isObject()) {
                throw new ShimException("event stream: event " + eventNumber + ": choices[" + k + "] is not an object");
            }
            ObjectNode entry = (ObjectNode) node;
            JsonNode indexNode = entry.get("index");
            int index;
            if (indexNode != null && indexNode.isIntegralNumber() && indexNode.canConvertToInt()) {
                index = indexNode.asInt();
            } else {
                index = k;
                entry.put("index", k);
                dirty = true;
            }
            ChoiceState state = choices.computeIfAbsent(index, i -> new ChoiceState(i, callIds));
            JsonNode deltaNode = entry.get("delta");
            ObjectNode delta;
            if (deltaNode instanceof ObjectNode object) {
                delta = object;
            } else {
                delta = NODES.objectNode();
                entry.set("delta", delta);
                dirty = true;
            }
            JsonNode finish = entry.get("finish_reason");
            if (finish == null) {
                entry.putNull("finish_reason");
                dirty = true;
            }
            boolean finishes = finish != null && finish.isTextual();
            if (finishes) {
                if (!delta.isEmpty()) {
                    // The delta goes in a chunk of its own: a finish chunk's delta is empty.
                    ObjectNode deltaEntry = NODES.objectNode();
                    deltaEntry.put("index", index);
                    deltaEntry.set("delta", delta);
                    deltaEntry.putNull("finish_reason");
                    entry.set("delta", NODES.objectNode());
                    dirty = true;
                    processDelta(state, deltaEntry, delta, true, false, before);
                    if (!delta.isEmpty()) {
                        finishDeltas.add(deltaEntry);
                    }
                } else {
                    settle(state, true, true, before);
                    releaseHeld(state, before);
                    if (!state.started) {
                        ObjectNode roleEntry = NODES.objectNode();
                        roleEntry.put("index", index);
                        roleEntry.set("delta", NODES.objectNode().put("role", "assistant"));
                        roleEntry.putNull("finish_reason");
                        before.add(synthetic(roleEntry));
                        state.started = true;
                    }
                }
                finishEntries.add(entry);
            } else {
                boolean hold = processDelta(state, entry, delta, false, single, before);
                if (hold) {
                    holdFor = state;
                }
                // A later delta left empty by the repair (a repeated role, a needless piece) is not sent.
                if (!delta.isEmpty() || !onlyEntryFields(entry)) {
                    kept.add(entry);
                }
            }
        }
        before.forEach(this::write);

        if (single && holdFor != null) {
            holdFor.held = new Out(chunk, payload, dirty);
            return;
        }
        if (single && finishEntries.size() == 1) {
            // The usual finish chunk: held as it is, so that it can go out byte for byte.
            ObjectNode finishEntry = finishEntries.get(0);
            if (!finishDeltas.isEmpty()) {
                write(new Out(copyEnvelope(chunk, NODES.arrayNode().add(finishDeltas.get(0))), null, true));
            }
            recordFinish(choices.get(finishEntry.get("index").asInt()), new Out(chunk, payload, dirty));
            return;
        }
        kept.addAll(finishDeltas);
        if (!kept.isEmpty()) {
            if (kept.size() != entries.size() || !finishEntries.isEmpty()) {
                chunk.set("choices", kept);
                dirty = true;
            }
            write(new Out(chunk, payload, dirty));
        }
        for (int f = 0; f < finishEntries.size(); f++) {
            ObjectNode finishEntry = finishEntries.get(f);
            ObjectNode finishChunk = copyEnvelope(chunk, NODES.arrayNode().add(finishEntry));
            if (kept.isEmpty() && f == finishEntries.size() - 1) {
                copyExtras(chunk, finishChunk); // the chunk's own fields go with its last finish
            }
            recordFinish(choices.get(finishEntry.get("index").asInt()), new Out(finishChunk, null, true));
        }
        if (kept.isEmpty() && finishEntries.isEmpty()) {
            collectOrphans(chunk); // nothing left to send but its extra fields
        }
    }

    private static void copyExtras(ObjectNode from, ObjectNode to) {
        for (Map.Entry<String, JsonNode> field : from.properties()) {
            if (!ENVELOPE_FIELDS.contains(field.getKey()) && !field.getKey().equals("choices")) {
                to.set(field.getKey(), field.getValue());
            }
        }
    }

    private void collectOrphans(ObjectNode chunk) {
        for (Map.Entry<String, JsonNode> field : chunk.properties()) {
            String name = field.getKey();
            if (!ENVELOPE_FIELDS.contains(name) && !name.equals("choices")) {
                orphanFields.put(name, field.getValue());
            }
        }
    }

    private static boolean onlyEntryFields(ObjectNode entry) {
        for (Iterator<String> names = entry.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!ENTRY_FIELDS.contains(name) || (name.equals("logprobs") && !entry.get(name).isNull())) {
                return false;
            }
        }
        return true;
    }

    private void recordFinish(ChoiceState state, Out finish) {
        state.finished = true;
        if (state.finish == null) {
            state.finish = finish;
            return;
        }
        // A second finish for the same choice: the later values win, as in the SDKs' accumulators.
        ObjectNode oldChunk = state.finish.node;
        ObjectNode oldEntry = (ObjectNode) oldChunk.get("choices").get(0);
        ObjectNode newEntry = (ObjectNode) finish.node.get("choices").get(0);
        for (Map.Entry<String, JsonNode> field : newEntry.properties()) {
            if (!field.getKey().equals("delta") && !field.getKey().equals("index")) {
                oldEntry.set(field.getKey(), field.getValue());
            }
        }
        for (Map.Entry<String, JsonNode> field : finish.node.properties()) {
            if (!ENVELOPE_FIELDS.contains(field.getKey()) && !field.getKey().equals("choices")) {
                oldChunk.set(field.getKey(), field.getValue());
            }
        }
        state.finish.dirty = true;
    }

    // ---------------------------------------------------------------------------------------
    // Deltas

    /**
     * Repairs one non-finish delta of {@code state}; returns whether its chunk is to be held (a
     * first delta whose only text is an empty piece that may still turn out to be needless).
     */
    private boolean processDelta(
            ChoiceState state, ObjectNode entry, ObjectNode delta, boolean finishing, boolean single, List<Out> before) {
        boolean first = !state.started;
        if (first) {
            JsonNode role = delta.get("role");
            if (role == null || !"assistant".equals(role.textValue())) {
                ObjectNode withRole = NODES.objectNode();
                withRole.put("role", "assistant");
                for (Map.Entry<String, JsonNode> field : delta.properties()) {
                    if (!field.getKey().equals("role")) {
                        withRole.set(field.getKey(), field.getValue());
                    }
                }
                delta.removeAll();
                delta.setAll(withRole);
                dirty = true;
            }
        } else if (delta.has("role")) {
            delta.remove("role");
            dirty = true;
        }
        boolean reasoningText = text(state, delta, REASONING);
        boolean contentText = text(state, delta, CONTENT);
        boolean calls = state.toolCalls.repair(delta);
        if (state.toolCalls.takeChanged()) {
            dirty = true;
        }

        settle(state, contentText || calls || finishing, calls || finishing, before);
        if (!first) {
            releaseHeld(state, before);
        }
        state.started = true;
        boolean pendingHere = state.reasoning == Empty.HERE || state.content == Empty.HERE;
        if (!pendingHere) {
            return false;
        }
        if (first && single && !reasoningText && !contentText && !calls && !finishing) {
            state.reasoning = state.reasoning == Empty.HERE ? Empty.HELD : state.reasoning;
            state.content = state.content == Empty.HERE ? Empty.HELD : state.content;
            return true;
        }
        if (state.reasoning == Empty.HERE) {
            delta.remove(REASONING);
            state.reasoning = Empty.STRIPPED;
            dirty = true;
        }
        if (state.content == Empty.HERE) {
            delta.remove(CONTENT);
            state.content = Empty.STRIPPED;
            dirty = true;
        }
        return false;
    }

    /** Looks at {@code field} of {@code delta}; returns whether it carries text. */
    private boolean text(ChoiceState state, ObjectNode delta, String field) {
        JsonNode value = delta.get(field);
        if (value == null || !value.isTextual()) {
            return false;
        }
        Empty now = state.empty(field);
        if (value.textValue().isEmpty()) {
            if (now == Empty.NONE) {
                state.setEmpty(field, Empty.HERE);
            } else {
                delta.remove(field); // text or an empty piece was already sent or is pending
                dirty = true;
            }
            return false;
        }
        state.setEmpty(field, Empty.TEXT); // a pending empty piece turns out needless
        return true;
    }

    /** Decides pending empty pieces that can no longer be followed by text: they are sent. */
    private void settle(ChoiceState state, boolean reasoning, boolean content, List<Out> before) {
        if (reasoning) {
            settleField(state, REASONING, before);
        }
        if (content) {
            settleField(state, CONTENT, before);
        }
    }

    private void settleField(ChoiceState state, String field, List<Out> before) {
        switch (state.empty(field)) {
            case HERE, HELD -> state.setEmpty(field, Empty.SENT);
            case STRIPPED -> {
                // It was taken out of an earlier delta that could not wait; it goes in one of its own.
                releaseHeld(state, before);
                ObjectNode entry = NODES.objectNode();
                entry.put("index", state.index);
                entry.set("delta", NODES.objectNode().put(field, ""));
                entry.putNull("finish_reason");
                before.add(synthetic(entry));
                state.setEmpty(field, Empty.SENT);
            }
            default -> {}
        }
    }

    /** Sends the held first delta of {@code state}, without the empty pieces not (yet) known to be needed. */
    private void releaseHeld(ChoiceState state, List<Out> before) {
        Out held = state.held;
        if (held == null) {
            return;
        }
        state.held = null;
        ObjectNode delta = (ObjectNode) held.node.get("choices").get(0).get("delta");
        for (String field : new String[] {REASONING, CONTENT}) {
            Empty now = state.empty(field);
            if (now == Empty.SENT || !delta.has(field)) {
                continue;
            }
            delta.remove(field);
            held.dirty = true;
            if (now == Empty.HELD) {
                state.setEmpty(field, Empty.STRIPPED);
            }
        }
        before.add(held);
    }

    // ---------------------------------------------------------------------------------------
    // Envelope, end, output

    /** Makes the chunk's envelope the first chunk's. */
    private void fixEnvelope(ObjectNode chunk) {
        if (envelope == null) {
            envelope = NODES.objectNode();
            if (!chunk.path("id").isTextual()) {
                chunk.put("id", "chatcmpl-" + Ids.alphanumeric(24));
                dirty = true;
            }
            if (!chunk.path("created").isIntegralNumber()) {
                chunk.put("created", System.currentTimeMillis() / 1000);
                dirty = true;
            }
            if (!chunk.path("model").isTextual()) {
                chunk.put("model", "");
                dirty = true;
            }
            if (!"chat.completion.chunk".equals(chunk.path("object").textValue())) {
                chunk.put("object", "chat.completion.chunk");
                dirty = true;
            }
            JsonNode fingerprint = chunk.get("system_fingerprint");
            if (fingerprint != null && !fingerprint.isTextual()) {
                chunk.remove("system_fingerprint"); // null or not a string: the stream has none
                dirty = true;
            }
            for (Map.Entry<String, JsonNode> field : chunk.properties()) {
                if (ENVELOPE_FIELDS.contains(field.getKey())) {
                    envelope.set(field.getKey(), field.getValue());
                }
            }
            return;
        }
        for (String field : ENVELOPE) {
            JsonNode want = envelope.get(field);
            JsonNode have = chunk.get(field);
            if (want == null) {
                if (have != null) {
                    chunk.remove(field);
                    dirty = true;
                }
            } else if (!want.equals(have)) {
                chunk.set(field, want);
                dirty = true;
            }
        }
    }

    /** A copy of the chunk's envelope (in the chunk's order) with {@code entries} as its choices. */
    private ObjectNode copyEnvelope(ObjectNode chunk, ArrayNode entries) {
        ObjectNode copy = NODES.objectNode();
        boolean placed = false;
        for (Map.Entry<String, JsonNode> field : chunk.properties()) {
            if (field.getKey().equals("choices")) {
                copy.set("choices", entries);
                placed = true;
            } else if (ENVELOPE_FIELDS.contains(field.getKey())) {
                copy.set(field.getKey(), field.getValue());
            }
        }
        if (!placed) {
            copy.set("choices", entries);
        }
        return copy;
    }

    /** A chunk of the repairer's own with the first chunk's envelope. */
    private Out synthetic(ObjectNode entry) {
        return new Out(chunkOf(NODES.arrayNode().add(entry)), null, true);
    }

    private ObjectNode chunkOf(ArrayNode entries) {
        ObjectNode chunk = NODES.objectNode();
        if (envelope != null) {
            chunk.setAll(envelope);
        }
        chunk.set("choices", entries);
        return chunk;
    }

    /** The end of the upstream stream ([DONE] or end of input): write what is still owed. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        List<Out> out = new ArrayList<>();
        List<Out> finishes = new ArrayList<>();
        for (ChoiceState state : choices.values()) {
            settle(state, true, true, out);
            releaseHeld(state, out);
            if (state.finish == null) {
                ObjectNode entry = NODES.objectNode();
                entry.put("index", state.index);
                entry.set("delta", NODES.objectNode());
                entry.put("finish_reason", state.toolCalls.any() ? "tool_calls" : "stop");
                state.finish = synthetic(entry);
            }
            finishes.add(state.finish);
        }
        out.addAll(finishes);
        Out usage = usageChunk;
        if (usage == null && includeUsage && strayUsage != null) {
            ObjectNode chunk = chunkOf(NODES.arrayNode());
            chunk.set("usage", strayUsage);
            usage = new Out(chunk, null, true);
        }
        if (usage != null) {
            out.add(usage);
        }
        if (!orphanFields.isEmpty() && !out.isEmpty()) {
            Out last = out.get(out.size() - 1);
            for (Map.Entry<String, JsonNode> field : orphanFields.entrySet()) {
                if (!last.node.has(field.getKey())) {
                    last.node.set(field.getKey(), field.getValue());
                    last.dirty = true;
                }
            }
        }
        out.forEach(this::write);
        sink.accept(DONE.clone());
    }

    private void write(Out out) {
        String json = out.dirty || out.original == null ? serialize(out.node) : out.original;
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        byte[] event = new byte[utf8.length + 8];
        event[0] = 'd';
        event[1] = 'a';
        event[2] = 't';
        event[3] = 'a';
        event[4] = ':';
        event[5] = ' ';
        System.arraycopy(utf8, 0, event, 6, utf8.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        sink.accept(event);
    }

    private static String serialize(ObjectNode node) {
        try {
            // A lone surrogate (valid JSON when escaped) would not survive UTF-8 as a raw char.
            return Json.escapeLoneSurrogates(MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new ShimException("event stream: cannot write a repaired chunk: " + e.getOriginalMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------------------
    // State

    /** Where an empty {@code content:""} (or {@code reasoning_content:""}) piece of a choice stands. */
    private enum Empty {
        /** None seen. */
        NONE,
        /** In the delta being repaired, undecided. */
        HERE,
        /** In the held first delta, undecided. */
        HELD,
        /** Taken out of a delta already sent, undecided. */
        STRIPPED,
        /** Sent. */
        SENT,
        /** The field has text, so no empty piece is sent. */
        TEXT
    }

    /** One chunk to write: its node, and its upstream text while that is still right. */
    private static final class Out {
        final ObjectNode node;
        final String original;
        boolean dirty;

        Out(ObjectNode node, String original, boolean dirty) {
            this.node = node;
            this.original = original;
            this.dirty = dirty || original == null;
        }
    }

    private static final class ChoiceState {
        final int index;
        boolean started;
        boolean finished;
        Empty reasoning = Empty.NONE;
        Empty content = Empty.NONE;
        /** The first delta, held while its empty piece is undecided. */
        Out held;
        /** The finish chunk, held until the end of the stream. */
        Out finish;
        final ToolCallRepair toolCalls;

        ChoiceState(int index, Set<String> streamIds) {
            this.index = index;
            this.toolCalls = new ToolCallRepair(streamIds);
        }

        Empty empty(String field) {
            return field.equals(CONTENT) ? content : reasoning;
        }

        void setEmpty(String field, Empty value) {
            if (field.equals(CONTENT)) {
                content = value;
            } else {
                reasoning = value;
            }
        }
    }

}
