package dev.llamashim.core;

/**
 * How the synthesizer cuts a text field ({@code content}, {@code reasoning_content}, tool-call
 * {@code arguments}) into the pieces sent as separate deltas.
 *
 * <p>Pieces are counted in Unicode <em>code points</em>, so a piece never splits a surrogate
 * pair (an emoji or a supplementary CJK character stays whole). A grapheme cluster made of
 * several code points (a ZWJ emoji sequence, a letter with combining marks) may end in one piece
 * and go on in the next; clients concatenate the pieces, so the text arrives unchanged.
 */
public sealed interface ChunkingPolicy permits CodePointPieces, WholePieces {

    /**
     * The default piece size in code points, and the one place it is written: the filter's
     * {@code chunk-size}, the starter's {@code llamashim.chunk-size} and the launcher's
     * {@code streaming_chunk_size} default to it.
     */
    int DEFAULT_SIZE = 50;

    /** Pieces of at most {@code size} code points; {@code size} must be positive. */
    static ChunkingPolicy byCodePoints(int size) {
        return new CodePointPieces(size);
    }

    /** Pieces of {@value #DEFAULT_SIZE} code points. */
    static ChunkingPolicy defaults() {
        return new CodePointPieces(DEFAULT_SIZE);
    }

    /** Each field in one piece. */
    static ChunkingPolicy whole() {
        return new WholePieces();
    }

    /**
     * Where the piece that starts at {@code start} ends (exclusive); always past {@code start}
     * when {@code start < text.length()}, and never between the two halves of a surrogate pair.
     */
    int pieceEnd(CharSequence text, int start);
}
