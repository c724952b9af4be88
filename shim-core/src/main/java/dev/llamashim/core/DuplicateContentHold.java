package dev.llamashim.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The content of one streamed choice held back while it could still be a JSON rendering of the
 * choice's own tool calls (see {@link CallRendering}), and the choice's later chunks queued behind
 * it once tool calls arrive, so that the content can be dropped, or given back unchanged and in
 * order, when the choice ends. Only content that could still be a rendering is held: the first
 * piece that rules it out releases it. Not thread-safe.
 */
final class DuplicateContentHold {

    private enum State {
        /** No content yet. */
        IDLE,
        /** Content held, no tool call since. */
        HOLDING,
        /** Content held, and the choice's chunks since its first tool call queued. */
        QUEUING,
        /** Decided: content flows. */
        OFF
    }

    private State state;
    private final CallRendering.Prefix prefix = new CallRendering.Prefix();
    private final StringBuilder text = new StringBuilder();
    private final List<RepairedChunk> queued = new ArrayList<>();

    /** A hold that holds only when {@code enabled} (the request declared tools). */
    DuplicateContentHold(boolean enabled) {
        state = enabled ? State.IDLE : State.OFF;
    }

    /**
     * Offers the next content piece; returns whether it is held. When not, the text held before it
     * (see {@link #takeText()}) is to go out in front of it.
     */
    boolean offer(String piece) {
        if (state == State.OFF || state == State.QUEUING) {
            return false;
        }
        if (prefix.feed(piece)) {
            text.append(piece);
            state = State.HOLDING;
            return true;
        }
        state = State.OFF;
        return false;
    }

    /** Whether later chunks of the choice are to be queued: content is held. */
    boolean holding() {
        return state == State.HOLDING || state == State.QUEUING;
    }

    /** Whether chunks are queued behind held content. */
    boolean queuing() {
        return state == State.QUEUING;
    }

    /** Queues a chunk of the choice behind the held content. */
    void queue(RepairedChunk chunk) {
        state = State.QUEUING;
        queued.add(chunk);
    }

    /** The held text (empty when none). */
    String text() {
        return text.toString();
    }

    /** The held text, taken (empty when none). */
    String takeText() {
        String held = text.toString();
        text.setLength(0);
        return held;
    }

    /** The queued chunks, taken; the hold is off from now on. */
    List<RepairedChunk> takeQueued() {
        state = State.OFF;
        List<RepairedChunk> out = new ArrayList<>(queued);
        queued.clear();
        return out;
    }
}
