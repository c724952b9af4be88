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
public sealed interface ChunkingPolicy permits ChunkingPolicy.ByCodePoints, ChunkingPolicy.Whole {

    /** The prototype's {@code streaming_chunk_size} default. */
    int DEFAULT_SIZE = 50;

    /** Pieces of at most {@code size} code points; {@code size} must be positive. */
    static ChunkingPolicy byCodePoints(int size) {
        return new ByCodePoints(size);
    }

    /** Pieces of {@value #DEFAULT_SIZE} code points. */
    static ChunkingPolicy defaults() {
        return new ByCodePoints(DEFAULT_SIZE);
    }

    /** Each field in one piece. */
    static ChunkingPolicy whole() {
        return new Whole();
    }

    /**
     * Where the piece that starts at {@code start} ends (exclusive); always past {@code start}
     * when {@code start < text.length()}, and never between the two halves of a surrogate pair.
     */
    int pieceEnd(CharSequence text, int start);

    /**
     * At most {@code size} code points a piece.
     *
     * @param size code points a piece; must be at least 1
     */
    record ByCodePoints(int size) implements ChunkingPolicy {

        /** Rejects a size below 1. */
        public ByCodePoints {
            if (size < 1) {
                throw new ShimException("chunk size must be at least 1 code point, got " + size);
            }
        }

        @Override
        public int pieceEnd(CharSequence text, int start) {
            int end = start;
            int length = text.length();
            for (int count = 0; count < size && end < length; count++) {
                boolean pair = Character.isHighSurrogate(text.charAt(end))
                        && end + 1 < length
                        && Character.isLowSurrogate(text.charAt(end + 1));
                end += pair ? 2 : 1;
            }
            return end;
        }
    }

    /** The whole field as one piece. */
    record Whole() implements ChunkingPolicy {

        @Override
        public int pieceEnd(CharSequence text, int start) {
            return text.length();
        }
    }
}
