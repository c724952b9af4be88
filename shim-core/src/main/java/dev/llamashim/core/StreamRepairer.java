package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
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
 * split anywhere, into a stream that meets the contract of docs/STREAM-CONTRACT.md, chunk by chunk as the
 * upstream sends them. It mends what real servers get wrong, and leaves the rest as it came:
 * <ul>
 *   <li>tool calls: a missing {@code index} becomes the call's order of first appearance in its
 *       choice (a delta with an {@code id} not seen before and a name opens a new call, even
 *       under a used index; one with neither {@code id} nor {@code index} continues the last call,
 *       unless it is not the first such entry of its delta or names a function after the last
 *       call's arguments closed); a missing or repeated {@code id}
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
 *       all deltas (what openai-java's accumulator needs); a choice with tool calls that finished
 *       with {@code stop} gets {@code tool_calls}, unless the request forced one function (OpenAI
 *       answers {@code stop} then); a choice the upstream never finished gets {@code tool_calls}
 *       (it had calls, no forced function) or {@code stop};
 *   <li>with tools declared: content that is wholly a JSON rendering of exactly the choice's
 *       calls ({@code {"name":…,"arguments":…}} or an array of them) is removed; content is held
 *       only while it could still be one (bounded), and given back unchanged otherwise;
 *   <li>with tools declared and {@link TextToolCalls#EXTRACT}: tool calls written as text in
 *       {@code content} or {@code reasoning_content} ({@link TextToolCallExtractor}) become
 *       {@code tool_calls} deltas sent when the choice finishes, after its text and its native
 *       calls (fresh {@code call_} ids), and the finish reason follows the rule above; text
 *       without markers is not held;
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
 * a stream that is already right comes out unchanged. {@link #report()} says what was mended.
 * See docs/NOTES.md for the choices made.
 *
 * <p>Each call of the sink receives exactly one complete event, so a caller can flush after each.
 * Not thread-safe: one repairer per stream.
 */
public final class StreamRepairer {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] ENVELOPE = {"id", "object", "created", "model", "system_fingerprint"};
    static final Set<String> ENVELOPE_FIELDS = Set.of(ENVELOPE);
    private static final Set<String> ENTRY_FIELDS = Set.of("index", "delta", "finish_reason", "logprobs");

    private final RepairOptions options;
    private final boolean includeUsage;
    private final Consumer<byte[]> sink;
    private final SseParser parser;
    private final RepairTally counts = new RepairTally();

    /** The first chunk's envelope ({@code id}, {@code object}, …) in its order; null before it. */
    private ObjectNode envelope;
    private final Map<Integer, ChoiceRepair> choices = new LinkedHashMap<>();
    /** Tool-call ids sent so far, over all choices: an id is never sent for two calls. */
    private final Set<String> callIds = new HashSet<>();
    /** The upstream's usage chunk, held to go last; with include_usage only. */
    private RepairedChunk usageChunk;
    /** {@code usage} found on a choice chunk. */
    private JsonNode strayUsage;
    /** Top-level fields of dropped chunks, for the last chunk. */
    private final Map<String, JsonNode> orphanFields = new LinkedHashMap<>();
    private int eventNumber;
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
        return repair(stream, RepairOptions.of(includeUsage));
    }

    /** Repairs a whole stream of a request described by {@code options} and returns the repaired bytes. */
    public static byte[] repair(byte[] stream, RepairOptions options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(stream.length + 256);
        StreamRepairer repairer = new StreamRepairer(options, out::writeBytes);
        repairer.feed(stream, 0, stream.length);
        repairer.finish();
        return out.toByteArray();
    }

    /** Whether the client asked for a usage chunk. */
    public boolean includeUsage() {
        return includeUsage;
    }

    /** What the repair has changed so far (all of it once {@link #finish()} has returned). */
    public RepairReport report() {
        return counts.report();
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
        if (!ended) {
            counts.addOnce(Defect.MISSING_DONE);
        }
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
            parsed = Json.MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            throw Json.notJson("event stream: event " + eventNumber, e);
        }
        if (parsed == null || !parsed.isObject()) {
            throw new ShimException("event stream: event " + eventNumber + " is not a JSON object");
        }
        ObjectNode chunk = (ObjectNode) parsed;
        boolean dirty = payload.indexOf('\n') >= 0 || payload.indexOf('\r') >= 0;
        if (chunk.hasNonNull("error")) {
            // What was held back goes first; finish chunks, usage and [DONE] do not follow: they
            // would tell a lenient client that the cut-off message is complete.
            List<RepairedChunk> held = new ArrayList<>();
            for (ChoiceRepair choice : choices.values()) {
                held.addAll(choice.releaseAll());
            }
            held.forEach(this::write);
            write(new RepairedChunk(chunk, payload, dirty));
            ended = true;
            return;
        }
        dirty |= fixEnvelope(chunk);
        JsonNode choiceArray = chunk.get("choices");
        if (choiceArray == null || choiceArray.isNull() || (choiceArray.isArray() && choiceArray.isEmpty())) {
            onChoicelessChunk(chunk, payload, dirty);
            return;
        }
        if (choiceArray.isObject()) {
            choiceArray = NODES.arrayNode().add(choiceArray);
            chunk.set("choices", choiceArray);
            counts.addOnce(Defect.CHUNK_SHAPE);
            dirty = true;
        } else if (!choiceArray.isArray()) {
            throw new ShimException("event stream: event " + eventNumber + ": \"choices\" is not an array");
        }
        JsonNode usage = chunk.get("usage");
        if (usage != null && !usage.isNull()) {
            strayUsage = usage;
            chunk.remove("usage");
            counts.addOnce(Defect.USAGE);
            dirty = true;
        }
        onChoiceChunk(chunk, payload, dirty, (ArrayNode) choiceArray);
    }

    /** A chunk without choices: the usage chunk, or an envelope carrying extra fields only. */
    private void onChoicelessChunk(ObjectNode chunk, String payload, boolean dirty) {
        JsonNode usage = chunk.get("usage");
        if (usage != null && !usage.isNull() && includeUsage) {
            if (!chunk.has("choices") || !chunk.get("choices").isArray()) {
                chunk.set("choices", NODES.arrayNode());
                counts.addOnce(Defect.USAGE);
                dirty = true;
            }
            usageChunk = new RepairedChunk(chunk, payload, dirty);
            return;
        }
        if (usage != null && !usage.isNull()) {
            counts.addOnce(Defect.USAGE);
        }
        for (Map.Entry<String, JsonNode> field : chunk.properties()) {
            String name = field.getKey();
            if (!ENVELOPE_FIELDS.contains(name) && !name.equals("choices") && !name.equals("usage")) {
                orphanFields.put(name, field.getValue());
            }
        }
    }

    private void onChoiceChunk(ObjectNode chunk, String payload, boolean dirty, ArrayNode entries) {
        List<RepairedChunk> before = new ArrayList<>();
        boolean single = entries.size() == 1;
        ArrayNode kept = NODES.arrayNode();
        List<ObjectNode> finishEntries = new ArrayList<>();
        List<ObjectNode> finishDeltas = new ArrayList<>();
        ChoiceRepair holdFor = null;
        ChoiceRepair queueFor = null;
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
                counts.addOnce(Defect.CHUNK_SHAPE);
                dirty = true;
            }
            ChoiceRepair choice = choices.computeIfAbsent(
                    index, i -> new ChoiceRepair(i, callIds, options, counts, this::synthetic));
            JsonNode deltaNode = entry.get("delta");
            ObjectNode delta;
            if (deltaNode instanceof ObjectNode object) {
                delta = object;
            } else {
                delta = NODES.objectNode();
                entry.set("delta", delta);
                counts.addOnce(Defect.CHUNK_SHAPE);
                dirty = true;
            }
            JsonNode finish = entry.get("finish_reason");
            if (finish == null) {
                entry.putNull("finish_reason");
                counts.addOnce(Defect.CHUNK_SHAPE);
                dirty = true;
            }
            if (finish != null && finish.isTextual()) {
                if (!delta.isEmpty()) {
                    // The delta goes in a chunk of its own: a finish chunk's delta is empty.
                    ObjectNode deltaEntry = NODES.objectNode();
                    deltaEntry.put("index", index);
                    deltaEntry.set("delta", delta);
                    deltaEntry.putNull("finish_reason");
                    entry.set("delta", NODES.objectNode());
                    choice.record(Defect.FINISH_ORDER);
                    dirty = true;
                    ChoiceRepair.Step step = choice.delta(deltaEntry, delta, true, false);
                    before.addAll(step.before());
                    if (step.disposition() == ChoiceRepair.Disposition.QUEUE) {
                        choice.queue(RepairedChunk.made(copyEnvelope(chunk, NODES.arrayNode().add(deltaEntry))));
                    } else if (!delta.isEmpty()) {
                        finishDeltas.add(deltaEntry);
                    }
                }
                before.addAll(choice.finishing());
                finishEntries.add(entry);
            } else {
                ChoiceRepair.Step step = choice.delta(entry, delta, false, single);
                before.addAll(step.before());
                dirty |= step.changed();
                if (step.disposition() == ChoiceRepair.Disposition.HOLD) {
                    holdFor = choice;
                } else if (step.disposition() == ChoiceRepair.Disposition.QUEUE) {
                    if (single) {
                        queueFor = choice;
                    } else {
                        choice.queue(RepairedChunk.made(copyEnvelope(chunk, NODES.arrayNode().add(entry))));
                        dirty = true;
                    }
                } else if (!delta.isEmpty() || !onlyEntryFields(entry)) {
                    // A later delta left empty by the repair (a repeated role, a needless piece) is not sent.
                    kept.add(entry);
                }
            }
        }
        before.forEach(this::write);

        if (single && holdFor != null) {
            holdFor.holdFirst(new RepairedChunk(chunk, payload, dirty));
            return;
        }
        if (single && queueFor != null) {
            queueFor.queue(new RepairedChunk(chunk, payload, dirty));
            return;
        }
        if (single && finishEntries.size() == 1) {
            // The usual finish chunk: held as it is, so that it can go out byte for byte.
            ObjectNode finishEntry = finishEntries.get(0);
            if (!finishDeltas.isEmpty()) {
                write(RepairedChunk.made(copyEnvelope(chunk, NODES.arrayNode().add(finishDeltas.get(0)))));
            }
            choices.get(finishEntry.get("index").asInt()).recordFinish(new RepairedChunk(chunk, payload, dirty));
            return;
        }
        kept.addAll(finishDeltas);
        if (!kept.isEmpty()) {
            if (kept.size() != entries.size() || !finishEntries.isEmpty()) {
                chunk.set("choices", kept);
                dirty = true;
            }
            write(new RepairedChunk(chunk, payload, dirty));
        }
        for (int f = 0; f < finishEntries.size(); f++) {
            ObjectNode finishEntry = finishEntries.get(f);
            ObjectNode finishChunk = copyEnvelope(chunk, NODES.arrayNode().add(finishEntry));
            if (kept.isEmpty() && f == finishEntries.size() - 1) {
                copyExtras(chunk, finishChunk); // the chunk's own fields go with its last finish
            }
            choices.get(finishEntry.get("index").asInt()).recordFinish(RepairedChunk.made(finishChunk));
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

    // ---------------------------------------------------------------------------------------
    // Envelope, end, output

    /** Makes the chunk's envelope the first chunk's; returns whether the chunk changed. */
    private boolean fixEnvelope(ObjectNode chunk) {
        boolean changed = false;
        if (envelope == null) {
            envelope = NODES.objectNode();
            if (!chunk.path("id").isTextual()) {
                chunk.put("id", "chatcmpl-" + Ids.alphanumeric(24));
                changed = true;
            }
            if (!chunk.path("created").isIntegralNumber()) {
                chunk.put("created", System.currentTimeMillis() / 1000);
                changed = true;
            }
            if (!chunk.path("model").isTextual()) {
                chunk.put("model", "");
                changed = true;
            }
            if (!"chat.completion.chunk".equals(chunk.path("object").textValue())) {
                chunk.put("object", "chat.completion.chunk");
                changed = true;
            }
            JsonNode fingerprint = chunk.get("system_fingerprint");
            if (fingerprint != null && !fingerprint.isTextual()) {
                chunk.remove("system_fingerprint"); // null or not a string: the stream has none
                changed = true;
            }
            for (Map.Entry<String, JsonNode> field : chunk.properties()) {
                if (ENVELOPE_FIELDS.contains(field.getKey())) {
                    envelope.set(field.getKey(), field.getValue());
                }
            }
        } else {
            for (String field : ENVELOPE) {
                JsonNode want = envelope.get(field);
                JsonNode have = chunk.get(field);
                if (want == null) {
                    if (have != null) {
                        chunk.remove(field);
                        changed = true;
                    }
                } else if (!want.equals(have)) {
                    chunk.set(field, want);
                    changed = true;
                }
            }
        }
        if (changed) {
            counts.addOnce(Defect.ENVELOPE);
        }
        return changed;
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

    /** A chunk of the repairer's own with the first chunk's envelope and this one choice entry. */
    private RepairedChunk synthetic(ObjectNode entry) {
        return RepairedChunk.made(chunkOf(NODES.arrayNode().add(entry)));
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
        List<RepairedChunk> out = new ArrayList<>();
        List<RepairedChunk> finishes = new ArrayList<>();
        for (ChoiceRepair choice : choices.values()) {
            out.addAll(choice.end(finishes));
        }
        out.addAll(finishes);
        RepairedChunk usage = usageChunk;
        if (usage == null && includeUsage && strayUsage != null) {
            ObjectNode chunk = chunkOf(NODES.arrayNode());
            chunk.set("usage", strayUsage);
            usage = RepairedChunk.made(chunk);
        }
        if (usage != null) {
            out.add(usage);
        }
        if (!orphanFields.isEmpty() && !out.isEmpty()) {
            RepairedChunk last = out.get(out.size() - 1);
            for (Map.Entry<String, JsonNode> field : orphanFields.entrySet()) {
                if (!last.node.has(field.getKey())) {
                    last.node.set(field.getKey(), field.getValue());
                    last.dirty = true;
                }
            }
        }
        out.forEach(this::write);
        sink.accept(SseFrames.done());
    }

    private void write(RepairedChunk out) {
        String json = out.dirty || out.original == null ? serialize(out.node) : out.original;
        sink.accept(SseFrames.data(json));
    }

    private static String serialize(ObjectNode node) {
        try {
            // A lone surrogate (valid JSON when escaped) would not survive UTF-8 as a raw char.
            return Json.escapeLoneSurrogates(Json.MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new ShimException("event stream: cannot write a repaired chunk: " + e.getOriginalMessage(), e);
        }
    }
}
