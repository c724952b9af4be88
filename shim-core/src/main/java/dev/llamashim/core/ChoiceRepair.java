package dev.llamashim.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One choice of a stream that {@link StreamRepairer} mends: its role, its empty text pieces, its
 * tool calls (through {@link ToolCallRepair}), content that duplicates its calls (through
 * {@link DuplicateContentHold}), and its finish. Each step says what it changed and what is to
 * be written before the delta it was given; the repairer writes. Not thread-safe.
 */
final class ChoiceRepair {

    static final String REASONING = "reasoning_content";
    static final String CONTENT = "content";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Where a repaired delta goes. */
    enum Disposition {
        /** Written now. */
        SEND,
        /** Held as the choice's first delta while its empty text piece is undecided ({@link #holdFirst}). */
        HOLD,
        /** Queued behind held content ({@link #queue}). */
        QUEUE
    }

    /**
     * What one step did.
     *
     * @param before chunks to write before the delta's own chunk, in order
     * @param changed whether the delta was changed
     * @param disposition where the delta goes
     */
    record Step(List<RepairedChunk> before, boolean changed, Disposition disposition) {}

    final int index;
    private final DeclaredTools tools;
    private final RepairTally counts;
    /** Wraps a choice entry in a chunk with the stream's envelope. */
    private final Function<ObjectNode, RepairedChunk> chunkOf;
    private final ToolCallRepair toolCalls;
    private final DuplicateContentHold duplicate;
    /** The extraction of tool calls written as text, per field; null when extraction is off. */
    private final FieldExtraction reasoningExtraction;
    private final FieldExtraction contentExtraction;
    /** Calls found in text, sent when the choice finishes (after its text, as the contract orders). */
    private final List<TextPiece.Call> found = new ArrayList<>();
    private final Set<Defect> recorded = EnumSet.noneOf(Defect.class);

    private boolean started;
    private Empty reasoning = Empty.NONE;
    private Empty content = Empty.NONE;
    /** The first delta, held while its empty piece is undecided. */
    private RepairedChunk held;
    /** The finish chunk, held until the end of the stream. */
    private RepairedChunk finish;

    ChoiceRepair(int index, Set<String> streamIds, RepairOptions options, RepairTally counts,
            Function<ObjectNode, RepairedChunk> chunkOf) {
        this.index = index;
        this.tools = options.tools();
        this.counts = counts;
        this.chunkOf = chunkOf;
        this.toolCalls = new ToolCallRepair(streamIds, counts);
        this.duplicate = new DuplicateContentHold(!options.tools().isEmpty());
        boolean extract = options.textToolCalls() == TextToolCalls.EXTRACT && !options.tools().isEmpty();
        this.reasoningExtraction = extract ? new FieldExtraction(options.tools()) : null;
        this.contentExtraction = extract ? new FieldExtraction(options.tools()) : null;
    }

    /**
     * Repairs one delta of the choice in place.
     *
     * @param entry the choice entry holding {@code delta}
     * @param finishing whether the delta came with the choice's finish reason
     * @param single whether the entry is its chunk's only one (only then can it be held)
     */
    Step delta(ObjectNode entry, ObjectNode delta, boolean finishing, boolean single) {
        List<RepairedChunk> before = new ArrayList<>();
        boolean changed = false;
        boolean first = !started;
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
                record(Defect.ROLE);
                changed = true;
            }
        } else if (delta.has("role")) {
            delta.remove("role");
            record(Defect.ROLE);
            changed = true;
        }
        TextStep reasoningText = text(delta, REASONING);
        TextStep contentText = text(delta, CONTENT);
        changed |= reasoningText.changed || contentText.changed;
        if (reasoningText.text && reasoningExtraction != null) {
            changed |= extract(delta, REASONING, reasoningExtraction);
        }
        if (contentText.text) {
            before.addAll(endReasoning()); // content begins: the reasoning field is over
            changed |= holdDuplicate(delta, before);
            if (contentExtraction != null && delta.path(CONTENT).isTextual()) {
                changed |= extract(delta, CONTENT, contentExtraction);
            }
        }
        ToolCallRepair.Step calls = toolCalls.repair(delta);
        changed |= calls.changed();
        if (calls.calls()) {
            changed |= endTextBeforeCalls(delta);
        }

        settle(contentText.text || calls.calls() || finishing, calls.calls() || finishing, before);
        if (!first) {
            releaseHeld(before);
        }
        started = true;
        Disposition disposition = Disposition.SEND;
        if (duplicate.holding() && toolCalls.argumentsLength() > 2L * CallRendering.BOUND) {
            before.addAll(releaseDuplicate()); // calls too long for held content to render them
        } else if (duplicate.queuing() || (calls.calls() && duplicate.holding())) {
            disposition = Disposition.QUEUE;
        }
        boolean pendingHere = reasoning == Empty.HERE || content == Empty.HERE;
        if (pendingHere && first && single && !reasoningText.text && !contentText.text && !calls.calls() && !finishing) {
            reasoning = reasoning == Empty.HERE ? Empty.HELD : reasoning;
            content = content == Empty.HERE ? Empty.HELD : content;
            return new Step(before, changed, Disposition.HOLD);
        }
        if (reasoning == Empty.HERE) {
            delta.remove(REASONING);
            reasoning = Empty.STRIPPED;
            changed = true;
        }
        if (content == Empty.HERE) {
            delta.remove(CONTENT);
            content = Empty.STRIPPED;
            changed = true;
        }
        return new Step(before, changed, disposition);
    }

    /** Content text of a delta goes through the duplicate hold; returns whether the delta changed. */
    private boolean holdDuplicate(ObjectNode delta, List<RepairedChunk> before) {
        String piece = delta.get(CONTENT).textValue();
        if (duplicate.queuing()) {
            // Content after the calls began: it is not waited for; what was held goes out first.
            before.addAll(releaseDuplicate());
            return false;
        }
        if (duplicate.offer(piece)) {
            delta.remove(CONTENT);
            return true;
        }
        String heldText = duplicate.takeText();
        if (heldText.isEmpty()) {
            return false;
        }
        delta.put(CONTENT, heldText + piece);
        return true;
    }

    /**
     * Passes the delta's text in {@code field} through the field's extractor: the text it releases
     * stays in the delta (the delta is unchanged when that is exactly the text fed), calls found are
     * kept for the choice's end. Returns whether the delta changed.
     */
    private boolean extract(ObjectNode delta, String field, FieldExtraction extraction) {
        String fed = delta.get(field).textValue();
        List<TextPiece> pieces = extraction.feed(fed);
        if (pieces.size() == 1 && pieces.get(0) instanceof TextPiece.Text text && text.text().equals(fed)) {
            return false;
        }
        String released = collect(pieces);
        if (released.isEmpty()) {
            delta.remove(field);
        } else {
            delta.put(field, released);
        }
        return true;
    }

    /** The text of {@code pieces}, joined; their calls go to {@link #found}. */
    private String collect(List<TextPiece> pieces) {
        StringBuilder text = new StringBuilder();
        for (TextPiece piece : pieces) {
            if (piece instanceof TextPiece.Text t) {
                text.append(t.text());
            } else {
                found.add((TextPiece.Call) piece);
            }
        }
        return text.toString();
    }

    /** Content that goes out now, through the content's extraction when there is one. */
    private void emitContent(String text, List<RepairedChunk> out) {
        String released = contentExtraction == null ? text : collect(contentExtraction.feed(text));
        if (!released.isEmpty()) {
            out.add(made(NODES.objectNode().put(CONTENT, released)));
        }
    }

    /** Ends the reasoning field's extraction: what it still holds goes out. */
    private List<RepairedChunk> endReasoning() {
        List<RepairedChunk> out = new ArrayList<>();
        if (reasoningExtraction != null) {
            String released = collect(reasoningExtraction.end());
            if (!released.isEmpty()) {
                out.add(made(NODES.objectNode().put(REASONING, released)));
            }
        }
        return out;
    }

    /**
     * Native calls begin in {@code delta}: the text fields are over (the contract orders text
     * before calls), so what their extraction still holds goes out in this delta, ahead of its
     * calls. Content held as a possible duplicate is not over: it is decided at the finish.
     */
    private boolean endTextBeforeCalls(ObjectNode delta) {
        boolean changed = false;
        if (reasoningExtraction != null) {
            changed |= append(delta, REASONING, collect(reasoningExtraction.end()));
        }
        if (contentExtraction != null && !duplicate.holding()) {
            changed |= append(delta, CONTENT, collect(contentExtraction.end()));
        }
        return changed;
    }

    private static boolean append(ObjectNode delta, String field, String text) {
        if (text.isEmpty()) {
            return false;
        }
        JsonNode present = delta.get(field);
        delta.put(field, present != null && present.isTextual() ? present.textValue() + text : text);
        return true;
    }

    /**
     * Ends both fields' extraction and sends the calls found in text: each in one delta with the
     * next index after the choice's other calls, a fresh {@code call_} id, {@code type},
     * {@code name} and {@code arguments}.
     */
    private List<RepairedChunk> endExtraction() {
        List<RepairedChunk> out = endReasoning();
        endContent(out);
        for (TextPiece.Call call : found) {
            int callIndex = toolCalls.count();
            String id = toolCalls.add(call.name(), call.arguments());
            ObjectNode toolCall = NODES.objectNode();
            toolCall.put("index", callIndex);
            toolCall.put("id", id);
            toolCall.put("type", "function");
            toolCall.putObject("function").put("name", call.name()).put("arguments", call.arguments());
            ObjectNode delta = NODES.objectNode();
            delta.putArray("tool_calls").add(toolCall);
            out.add(made(delta));
            counts.extracted(call.format());
        }
        found.clear();
        return out;
    }

    /**
     * The held content (unchanged, but through extraction) and the chunks queued behind it. The
     * queue starts with the delta where native calls began, so the content is over before it: what
     * the extraction still holds of it goes out first.
     */
    private List<RepairedChunk> releaseDuplicate() {
        List<RepairedChunk> out = new ArrayList<>();
        String heldText = duplicate.takeText();
        if (!heldText.isEmpty()) {
            emitContent(heldText, out);
        }
        List<RepairedChunk> queued = duplicate.takeQueued();
        if (!queued.isEmpty()) {
            endContent(out);
        }
        out.addAll(queued);
        return out;
    }

    /** Ends the content field's extraction: what it still holds goes out. */
    private void endContent(List<RepairedChunk> out) {
        if (contentExtraction != null) {
            String released = collect(contentExtraction.end());
            if (!released.isEmpty()) {
                out.add(made(NODES.objectNode().put(CONTENT, released)));
            }
        }
    }

    /** Holds the choice's first delta (after a {@link Disposition#HOLD} step). */
    void holdFirst(RepairedChunk chunk) {
        held = chunk;
    }

    /** Queues a delta's chunk behind held content (after a {@link Disposition#QUEUE} step). */
    void queue(RepairedChunk chunk) {
        duplicate.queue(chunk);
    }

    /**
     * The choice's finish reason arrived: what must go out before its finish chunk (pending empty
     * pieces, the held first delta, held content or its removal, a role delta for a choice that had
     * none).
     */
    List<RepairedChunk> finishing() {
        List<RepairedChunk> before = new ArrayList<>();
        if (!started) {
            before.add(made(NODES.objectNode().put("role", "assistant")));
            started = true;
        }
        before.addAll(closeText());
        return before;
    }

    /** Decides everything still held for the choice's text: empty pieces, held content, extraction. */
    private List<RepairedChunk> closeText() {
        List<RepairedChunk> out = new ArrayList<>();
        settle(true, true, out);
        releaseHeld(out);
        out.addAll(decideDuplicate());
        out.addAll(endExtraction());
        return out;
    }

    /** Drops held content that renders exactly the choice's calls; otherwise gives it back. */
    private List<RepairedChunk> decideDuplicate() {
        if (duplicate.holding() && CallRendering.isRenderingOf(duplicate.text(), toolCalls.calls())) {
            duplicate.takeText();
            record(Defect.DUPLICATED_CONTENT);
        }
        return releaseDuplicate();
    }

    /** Records the choice's finish chunk, held until the end of the stream. */
    void recordFinish(RepairedChunk chunk) {
        if (finish == null) {
            finish = chunk;
            return;
        }
        // A second finish for the same choice: the later values win, as in the SDKs' accumulators.
        ObjectNode oldEntry = finish.entry();
        for (Map.Entry<String, JsonNode> field : chunk.entry().properties()) {
            if (!field.getKey().equals("delta") && !field.getKey().equals("index")) {
                oldEntry.set(field.getKey(), field.getValue());
            }
        }
        for (Map.Entry<String, JsonNode> field : chunk.node.properties()) {
            if (!StreamRepairer.ENVELOPE_FIELDS.contains(field.getKey()) && !field.getKey().equals("choices")) {
                finish.node.set(field.getKey(), field.getValue());
            }
        }
        finish.dirty = true;
    }

    /**
     * The end of the stream: what the choice still owes before its finish, then its finish chunk
     * (the upstream's, with {@code stop} made {@code tool_calls} when the choice has calls, or one
     * of the repairer's own).
     */
    List<RepairedChunk> end(List<RepairedChunk> finishes) {
        List<RepairedChunk> before = closeText();
        boolean calls = toolCalls.count() > 0;
        if (finish == null) {
            ObjectNode entry = entry(NODES.objectNode());
            entry.put("finish_reason", FinishReasons.missing(calls, tools));
            finish = chunkOf.apply(entry);
            record(Defect.MISSING_FINISH);
        } else if (calls) {
            JsonNode reason = finish.entry().get("finish_reason");
            String fixed = FinishReasons.withCalls(reason.textValue(), tools);
            if (!fixed.equals(reason.textValue())) {
                finish.entry().put("finish_reason", fixed);
                finish.dirty = true;
                record(Defect.FINISH_REASON);
            }
        }
        finishes.add(finish);
        return before;
    }

    /** Before an error event: what the choice holds back, and the calls found in its text so far. */
    List<RepairedChunk> releaseAll() {
        List<RepairedChunk> out = new ArrayList<>();
        releaseHeld(out);
        out.addAll(releaseDuplicate());
        out.addAll(endExtraction());
        return out;
    }

    /** Counts a per-choice defect once. */
    void record(Defect defect) {
        if (recorded.add(defect)) {
            counts.add(defect);
        }
    }

    /** One text field's extraction, until the field ends; text after its end passes as it is. */
    private static final class FieldExtraction {

        private final TextToolCallExtractor extractor;
        private boolean ended;

        FieldExtraction(DeclaredTools tools) {
            this.extractor = new TextToolCallExtractor(tools);
        }

        /** The pieces of the next (non-empty) text of the field. */
        List<TextPiece> feed(String text) {
            return ended ? List.of(new TextPiece.Text(text)) : extractor.feed(text);
        }

        /** Ends the field: what the extractor still holds. */
        List<TextPiece> end() {
            if (ended) {
                return List.of();
            }
            ended = true;
            return extractor.finish();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Empty text pieces

    private record TextStep(boolean text, boolean changed) {}

    /** Looks at {@code field} of {@code delta}: whether it carries text, and whether it was changed. */
    private TextStep text(ObjectNode delta, String field) {
        JsonNode value = delta.get(field);
        if (value == null || !value.isTextual()) {
            return new TextStep(false, false);
        }
        Empty now = empty(field);
        if (value.textValue().isEmpty()) {
            if (now == Empty.NONE) {
                setEmpty(field, Empty.HERE);
                return new TextStep(false, false);
            }
            delta.remove(field); // text or an empty piece was already sent or is pending
            record(Defect.EMPTY_TEXT);
            return new TextStep(false, true);
        }
        if (now == Empty.HERE || now == Empty.HELD || now == Empty.STRIPPED) {
            record(Defect.EMPTY_TEXT);
        }
        setEmpty(field, Empty.TEXT); // a pending empty piece turns out needless
        return new TextStep(true, false);
    }

    /** Decides pending empty pieces that can no longer be followed by text: they are sent. */
    private void settle(boolean reasoningField, boolean contentField, List<RepairedChunk> before) {
        if (reasoningField) {
            settleField(REASONING, before);
        }
        if (contentField) {
            settleField(CONTENT, before);
        }
    }

    private void settleField(String field, List<RepairedChunk> before) {
        switch (empty(field)) {
            case HERE, HELD -> setEmpty(field, Empty.SENT);
            case STRIPPED -> {
                // It was taken out of an earlier delta that could not wait; it goes in one of its own.
                releaseHeld(before);
                before.add(made(NODES.objectNode().put(field, "")));
                setEmpty(field, Empty.SENT);
            }
            default -> {}
        }
    }

    /** Sends the held first delta, without the empty pieces not (yet) known to be needed. */
    private void releaseHeld(List<RepairedChunk> before) {
        RepairedChunk chunk = held;
        if (chunk == null) {
            return;
        }
        held = null;
        ObjectNode delta = chunk.delta();
        for (String field : new String[] {REASONING, CONTENT}) {
            Empty now = empty(field);
            if (now == Empty.SENT || !delta.has(field)) {
                continue;
            }
            delta.remove(field);
            chunk.dirty = true;
            if (now == Empty.HELD) {
                setEmpty(field, Empty.STRIPPED);
            }
        }
        before.add(chunk);
    }

    private RepairedChunk made(ObjectNode delta) {
        return chunkOf.apply(entry(delta));
    }

    private ObjectNode entry(ObjectNode delta) {
        ObjectNode entry = NODES.objectNode();
        entry.put("index", index);
        entry.set("delta", delta);
        entry.putNull("finish_reason");
        return entry;
    }

    private Empty empty(String field) {
        return field.equals(CONTENT) ? content : reasoning;
    }

    private void setEmpty(String field, Empty value) {
        if (field.equals(CONTENT)) {
            content = value;
        } else {
            reasoning = value;
        }
    }

    /** Where an empty {@code content:""} (or {@code reasoning_content:""}) piece of the choice stands. */
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
}
