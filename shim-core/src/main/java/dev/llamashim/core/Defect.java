package dev.llamashim.core;

/**
 * A kind of defect a repair mended, as counted in a {@link RepairReport}. Call defects count once
 * per call, choice defects once per choice, stream defects once per stream (or answer).
 */
public enum Defect {
    /** A tool call without {@code index} (per call). */
    MISSING_INDEX,
    /** A new tool call sent under an index another call already has, e.g. every call at 0 (per call). */
    REUSED_INDEX,
    /**
     * A tool call that a client would have merged into the call before it: several calls in one
     * delta without {@code index}, or a call without {@code index} and {@code id} that follows a
     * finished one (per call).
     */
    MERGED_CALLS,
    /** A tool call without a (non-empty) {@code id}; a {@code call_} id was made (per call). */
    MISSING_ID,
    /** A tool call whose {@code id} another call already has; a fresh one was made (per call). */
    DUPLICATE_ID,
    /** {@code arguments} sent as a JSON object instead of a string (per call). */
    ARGUMENTS_AS_OBJECT,
    /**
     * A call's fields missing from its first delta ({@code type}, {@code arguments}) or repeated in
     * later ones ({@code id}, {@code type}, {@code name}), or empty argument pieces (per call).
     */
    CALL_FIELDS,
    /** {@code finish_reason:"stop"} on a choice with tool calls, made {@code "tool_calls"} (per choice). */
    FINISH_REASON,
    /** A choice without {@code finish_reason}; one was added (per choice). */
    MISSING_FINISH,
    /** Content that was wholly a JSON rendering of the choice's own tool calls, removed (per choice). */
    DUPLICATED_CONTENT,
    /** A missing {@code role} in a choice's first delta, or a repeated one later (per choice). */
    ROLE,
    /** Needless or misplaced empty {@code content:""} / {@code reasoning_content:""} pieces (per choice). */
    EMPTY_TEXT,
    /** A delta sent together with the {@code finish_reason}, or finish chunks before other deltas (per choice). */
    FINISH_ORDER,
    /** Chunk envelopes ({@code id}, {@code created}, {@code model}, {@code object}…) missing or changing (per stream). */
    ENVELOPE,
    /** Choice entries without {@code index}, {@code delta} or {@code finish_reason}, or not in an array (per stream). */
    CHUNK_SHAPE,
    /** Usage on a choice chunk, or a usage chunk the client did not ask for (per stream). */
    USAGE,
    /** No {@code data: [DONE]} at the end (per stream). */
    MISSING_DONE
}
