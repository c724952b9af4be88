package dev.llamashim.core;

import java.util.List;
import java.util.function.Function;

/**
 * A block that runs from an opening marker to a closing one, e.g. {@code <tool_call>…</tool_call>}
 * or a Kimi K2 / DeepSeek tool-calls section. A head check may reject it early (prose that shows
 * the opening tag is released at once, not held until the closing tag that never comes).
 */
final class TaggedBlock implements MarkupBlock {

    /** Judges the beginning of a block's body: {@link #NEED_MORE}, {@link #NOT_A_BLOCK}, or 0 when it is fine. */
    interface Head {
        /** Judges {@code text[from, to)}, the body read so far (it begins right after the opening marker). */
        int judge(CharSequence text, int from, int to);
    }

    private static final Head ANY_HEAD = (text, from, to) -> 0;

    private final String opening;
    private final String closing;
    private final Head head;
    private final Function<String, List<TextPiece.Call>> body;
    private final Function<String, List<TextPiece.Call>> bodyAtEnd;
    /** Characters of the block read so far. */
    private int read;
    private boolean headAccepted;

    /**
     * @param body the calls in a closed block's body (between the markers), or null
     * @param bodyAtEnd the calls in the body of a block the text ended inside, or null
     */
    TaggedBlock(String opening, String closing, Head head,
            Function<String, List<TextPiece.Call>> body, Function<String, List<TextPiece.Call>> bodyAtEnd) {
        this.opening = opening;
        this.closing = closing;
        this.head = head == null ? ANY_HEAD : head;
        this.body = body;
        this.bodyAtEnd = bodyAtEnd;
        this.read = opening.length();
    }

    @Override
    public int advance(CharSequence text, int start, int limit) {
        if (!headAccepted) {
            int verdict = head.judge(text, start + opening.length(), limit);
            if (verdict == NOT_A_BLOCK) {
                return NOT_A_BLOCK;
            }
            headAccepted = verdict == 0;
        }
        int from = Math.max(start + opening.length(), start + read - closing.length() + 1);
        int at = MarkupText.indexOf(text, closing, from, limit);
        if (at >= 0) {
            // A head not judged whole yet is the body's parser's to judge.
            return at + closing.length();
        }
        read = limit - start;
        return NEED_MORE;
    }

    @Override
    public List<TextPiece.Call> calls(String block) {
        return body.apply(block.substring(opening.length(), block.length() - closing.length()));
    }

    @Override
    public List<TextPiece.Call> callsAtEnd(String block) {
        return bodyAtEnd == null ? null : bodyAtEnd.apply(block.substring(opening.length()));
    }

    @Override
    public int openingLength() {
        return opening.length();
    }
}
