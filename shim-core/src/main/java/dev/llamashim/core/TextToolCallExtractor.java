package dev.llamashim.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Finds tool calls a model wrote as text, in its family's markup (see {@link ToolCallFormat}), in
 * one text field of one choice ({@code content} or {@code reasoning_content}) fed in pieces as a
 * stream brings them, and releases the field as {@link TextPiece}s in order.
 *
 * <p>Safety: a block of markup becomes calls only if every call in it names a declared tool and
 * its arguments are a JSON object; otherwise the whole block stays text. Text is released exactly
 * as it came (substrings of the input, never re-written), so that what is not a call reaches the
 * client byte for byte.
 *
 * <p>Streaming: text is held only from a point where a marker could begin — a proper prefix of an
 * opening marker at the end of what has arrived, an opened block not yet ended, or a {@code {}
 * opening the field that can still be {@code {"name": "<declared>"…} — and released as soon as that
 * is decided. A block that has not ended within 256 Ki characters of its opening is text. Every
 * decision depends on the text alone, never on how it was split, so feeding any split of a text
 * and finishing gives what {@link #extractAll} gives (adjacent texts merged).
 *
 * <p>Not thread-safe: one extractor per field of one choice of one response.
 */
public final class TextToolCallExtractor {

    /** The most characters of a block (from its opening marker) held before it is released as text: 256 Ki. */
    static final int HOLD_LIMIT = 256 * 1024;

    private record Opening(String marker, Function<DeclaredTools, MarkupBlock> block) {}

    /** Markers that open a block. None is a prefix of another; all begin with {@code <} or {@code [}. */
    private static final List<Opening> OPENINGS = openings();

    private final DeclaredTools tools;
    /** Text received and not released yet; index 0 is the first character not released. */
    private final StringBuilder held = new StringBuilder();
    /** Where in {@link #held} scanning for an opening marker resumes. */
    private int scanFrom;
    /** The open block, or null. */
    private MarkupBlock block;
    private int blockStart;
    /** Whether only whitespace has come so far (a Llama 3.x object may still open the field). */
    private boolean atFieldStart = true;
    private boolean finished;

    /** An extractor for one text field of a response to a request that declared {@code tools}. */
    public TextToolCallExtractor(DeclaredTools tools) {
        this.tools = Objects.requireNonNull(tools, "tools");
    }

    private static List<Opening> openings() {
        List<Opening> openings = new ArrayList<>();
        openings.add(new Opening(ToolCallTagMarkup.OPENING, ToolCallTagMarkup::block));
        openings.add(new Opening(MistralMarkup.OPENING, MistralMarkup::block));
        openings.add(new Opening(Llama3Markup.PYTHON_TAG, Llama3Markup::pythonTagBlock));
        openings.add(new Opening(KimiK2Markup.OPENING, KimiK2Markup::block));
        for (String marker : DeepSeekV31Markup.OPENINGS) {
            openings.add(new Opening(marker, tools -> DeepSeekV31Markup.block(marker, tools)));
        }
        return List.copyOf(openings);
    }

    /**
     * The whole-text form, for JSON answers: the pieces of {@code text}, adjacent texts merged;
     * the same as feeding {@code text} in any split and finishing.
     */
    public static List<TextPiece> extractAll(String text, DeclaredTools tools) {
        TextToolCallExtractor extractor = new TextToolCallExtractor(tools);
        List<TextPiece> pieces = new ArrayList<>(extractor.feed(text));
        pieces.addAll(extractor.finish());
        return merged(pieces);
    }

    /**
     * Takes the next piece of the field and returns what can be released now, in order. Text
     * that cannot begin a marker is released in this very call.
     *
     * @throws IllegalStateException after {@link #finish()}
     */
    public List<TextPiece> feed(String text) {
        Objects.requireNonNull(text, "text");
        if (finished) {
            throw new IllegalStateException("feed after finish");
        }
        if (text.isEmpty()) {
            return List.of();
        }
        if (tools.isEmpty() || (held.length() == 0 && !atFieldStart && !hasMarkerCharacter(text))) {
            return List.of(new TextPiece.Text(text));
        }
        held.append(text);
        return process(false);
    }

    /**
     * Ends the field: a block the text ended inside becomes its calls if they are complete (only
     * the closing marker missing), and everything else still held is released as text.
     */
    public List<TextPiece> finish() {
        if (finished) {
            return List.of();
        }
        finished = true;
        return held.length() == 0 ? List.of() : process(true);
    }

    private static boolean hasMarkerCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '<' || c == '[') {
                return true;
            }
        }
        return false;
    }

    private List<TextPiece> process(boolean atEnd) {
        List<TextPiece> out = new ArrayList<>(2);
        int textFrom = 0;
        while (true) {
            if (block == null) {
                if (!openBlock(atEnd)) {
                    break;
                }
                emitText(out, textFrom, blockStart);
                textFrom = blockStart;
                continue;
            }
            int limit = Math.min(held.length(), blockStart + HOLD_LIMIT);
            int end = block.advance(held, blockStart, limit);
            List<TextPiece.Call> calls;
            if (end >= 0) {
                calls = block.calls(held.substring(blockStart, end));
            } else if (end == MarkupBlock.NOT_A_BLOCK || held.length() >= blockStart + HOLD_LIMIT) {
                calls = null;
            } else if (atEnd) {
                end = held.length();
                calls = block.callsAtEnd(held.substring(blockStart));
            } else {
                break; // hold the block
            }
            if (calls != null) {
                emitText(out, textFrom, blockStart);
                out.addAll(calls);
                textFrom = end;
                scanFrom = end;
            } else {
                // The block is text; markers inside it after its opening may still open blocks.
                scanFrom = blockStart + block.openingLength();
            }
            block = null;
        }
        int release = block != null ? blockStart : scanFrom;
        emitText(out, textFrom, release);
        held.delete(0, release);
        scanFrom -= release;
        blockStart -= block != null ? release : 0;
        return out;
    }

    /**
     * Scans from {@link #scanFrom} for an opening marker; true when a block was opened (at
     * {@link #blockStart}). Otherwise {@link #scanFrom} is left where scanning must resume: the
     * start of a proper prefix of a marker at the end of the text (while more may come), or the end.
     */
    private boolean openBlock(boolean atEnd) {
        int length = held.length();
        for (int i = scanFrom; i < length; i++) {
            char c = held.charAt(i);
            if (atFieldStart) {
                if (MarkupText.isSpace(c)) {
                    continue;
                }
                atFieldStart = false;
                if (c == '{') {
                    return open(Llama3Markup.objectBlock(tools), i);
                }
            }
            if (c != '<' && c != '[') {
                continue;
            }
            boolean partial = false;
            for (Opening opening : OPENINGS) {
                String marker = opening.marker();
                int available = Math.min(marker.length(), length - i);
                if (MarkupText.prefixOf(held, i, i + available, marker)) {
                    if (available == marker.length()) {
                        return open(opening.block().apply(tools), i);
                    }
                    partial = true;
                }
            }
            if (partial && !atEnd) {
                scanFrom = i;
                return false;
            }
        }
        scanFrom = length;
        return false;
    }

    private boolean open(MarkupBlock opened, int at) {
        block = opened;
        blockStart = at;
        return true;
    }

    private void emitText(List<TextPiece> out, int from, int to) {
        if (from >= to) {
            return;
        }
        String text = held.substring(from, to);
        if (!out.isEmpty() && out.get(out.size() - 1) instanceof TextPiece.Text previous) {
            out.set(out.size() - 1, new TextPiece.Text(previous.text() + text));
        } else {
            out.add(new TextPiece.Text(text));
        }
    }

    private static List<TextPiece> merged(List<TextPiece> pieces) {
        List<TextPiece> out = new ArrayList<>(pieces.size());
        for (TextPiece piece : pieces) {
            if (piece instanceof TextPiece.Text text && !out.isEmpty()
                    && out.get(out.size() - 1) instanceof TextPiece.Text previous) {
                out.set(out.size() - 1, new TextPiece.Text(previous.text() + text.text()));
            } else {
                out.add(piece);
            }
        }
        return List.copyOf(out);
    }
}
