package dev.llamashim.core;

import java.util.ArrayList;
import java.util.List;

/**
 * DeepSeek V3.1's tool-calls section, after vLLM's {@code deepseekv31_tool_parser.py} and
 * llama.cpp's {@code common_chat_parse_deepseek_v3_1} ({@code common/chat-parser.cpp}):
 * {@code <｜tool▁calls▁begin｜>} (or one of the spellings llama.cpp also accepts) then, for each
 * call, {@code <｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜>}, then
 * {@code <｜tool▁calls▁end｜>}. The bars are fullwidth (U+FF5C) and the spaces are U+2581, as the
 * model's tokens are. Whitespace between tokens is allowed; {@code <｜tool▁call▁begin｜>} may be
 * missing, as llama.cpp allows. A section the text ended inside counts when every call in it is closed.
 */
final class DeepSeekV31Markup {

    /** The openings llama.cpp accepts for the section. */
    static final List<String> OPENINGS = List.of(
            "<｜tool▁calls▁begin｜>", "<｜tool_calls_begin｜>", "<｜tool calls begin｜>",
            "<｜tool\\_calls\\_begin｜>", "<｜tool▁calls｜>");
    static final String CLOSING = "<｜tool▁calls▁end｜>";
    private static final String CALL = "<｜tool▁call▁begin｜>";
    private static final String SEPARATOR = "<｜tool▁sep｜>";
    private static final String CALL_END = "<｜tool▁call▁end｜>";

    private DeepSeekV31Markup() {}

    /** A block opened by {@code opening}, one of {@link #OPENINGS}. */
    static MarkupBlock block(String opening, DeclaredTools tools) {
        return new TaggedBlock(opening, CLOSING, null, body -> calls(body, tools), body -> calls(body, tools));
    }

    private static List<TextPiece.Call> calls(String body, DeclaredTools tools) {
        List<TextPiece.Call> calls = new ArrayList<>(1);
        int i = MarkupText.skipSpaces(body, 0);
        while (i < body.length()) {
            if (MarkupText.startsWith(body, i, CALL)) {
                i += CALL.length();
            }
            int separator = body.indexOf(SEPARATOR, i);
            int end = separator < 0 ? -1 : body.indexOf(CALL_END, separator + SEPARATOR.length());
            if (end < 0) {
                return null;
            }
            TextPiece.Call call = ToolCallJson.call(body.substring(i, separator).strip(),
                    (body.substring(separator + SEPARATOR.length(), end)), ToolCallFormat.DEEPSEEK_V31, tools);
            if (call == null) {
                return null;
            }
            calls.add(call);
            i = MarkupText.skipSpaces(body, end + CALL_END.length());
        }
        return calls.isEmpty() ? null : calls;
    }
}
