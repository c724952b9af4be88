package dev.llamashim.core;

/**
 * {@link ChunkingPolicy#byCodePoints}: at most {@code size} code points a piece.
 *
 * @param size code points a piece; must be at least 1
 */
record CodePointPieces(int size) implements ChunkingPolicy {

    /** Rejects a size below 1. */
    CodePointPieces {
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
