package dev.llamashim.core;

import java.util.List;

/**
 * One block of tool-call markup that {@link TextToolCallExtractor} found the opening marker of:
 * it reads on until the block ends (or proves not to be one), then says which calls it holds.
 * Positions are indices into the extractor's held text; the block's own progress is kept
 * relative to its start, so the held text may be shifted between calls.
 */
interface MarkupBlock {

    /** {@link #advance} needs more text to know. */
    int NEED_MORE = -1;
    /** {@link #advance} found that the text is not this markup after all. */
    int NOT_A_BLOCK = -2;

    /**
     * Reads {@code text} from where the last call stopped up to {@code limit} (exclusive); the
     * block starts at {@code start} with its opening marker. Returns the index just past the
     * block's end when it ended within {@code limit}, {@link #NEED_MORE} or {@link #NOT_A_BLOCK}.
     */
    int advance(CharSequence text, int start, int limit);

    /** The calls the whole block {@code block} (as ended by {@link #advance}) holds, or null when it must stay text. */
    List<TextPiece.Call> calls(String block);

    /** The calls of a block the text ended inside ({@code block} runs to the end), or null when it must stay text. */
    List<TextPiece.Call> callsAtEnd(String block);

    /** The length of the opening marker: where scanning resumes when the block stays text. */
    int openingLength();
}
