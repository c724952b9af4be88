package dev.llamashim.core;

/** {@link ChunkingPolicy#whole}: the whole field as one piece. */
record WholePieces() implements ChunkingPolicy {

    @Override
    public int pieceEnd(CharSequence text, int start) {
        return text.length();
    }
}
