package dev.llamashim.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Kimi K2's tool-calls section, after vLLM's {@code kimi_k2_tool_parser.py} and llama.cpp's
 * {@code common_chat_parse_kimi_k2}:
 * {@code <|tool_calls_section_begin|>} then, for each call, {@code <|tool_call_begin|>ID
 * <|tool_call_argument_begin|>{…}<|tool_call_end|>}, then {@code <|tool_calls_section_end|>};
 * whitespace between the tokens allowed. The ID is {@code functions.NAME:N} (or {@code NAME:N}):
 * the name is what stands between the optional {@code functions.} and the last {@code :N}.
 * A section the text ended inside counts when every call in it is closed.
 */
final class KimiK2Markup {

    static final String OPENING = "<|tool_calls_section_begin|>";
    static final String CLOSING = "<|tool_calls_section_end|>";
    private static final String CALL = "<|tool_call_begin|>";
    private static final String ARGUMENTS = "<|tool_call_argument_begin|>";
    private static final String CALL_END = "<|tool_call_end|>";
    private static final String FUNCTIONS = "functions.";

    private KimiK2Markup() {}

    /** A block opened by {@link #OPENING}. */
    static MarkupBlock block(DeclaredTools tools) {
        return new TaggedBlock(OPENING, CLOSING, null, body -> calls(body, tools), body -> calls(body, tools));
    }

    private static List<TextPiece.Call> calls(String body, DeclaredTools tools) {
        List<TextPiece.Call> calls = new ArrayList<>(1);
        int i = MarkupText.skipSpaces(body, 0);
        while (i < body.length()) {
            if (!MarkupText.startsWith(body, i, CALL)) {
                return null;
            }
            int arguments = body.indexOf(ARGUMENTS, i + CALL.length());
            int end = arguments < 0 ? -1 : body.indexOf(CALL_END, arguments + ARGUMENTS.length());
            if (end < 0) {
                return null;
            }
            TextPiece.Call call = ToolCallJson.call(name(body.substring(i + CALL.length(), arguments).strip()),
                    (body.substring(arguments + ARGUMENTS.length(), end)), ToolCallFormat.KIMI_K2, tools);
            if (call == null) {
                return null;
            }
            calls.add(call);
            i = MarkupText.skipSpaces(body, end + CALL_END.length());
        }
        return calls.isEmpty() ? null : calls;
    }

    /** The function name in a call id {@code functions.NAME:N}, or null when the id is not of that shape. */
    static String name(String id) {
        int colon = id.lastIndexOf(':');
        if (colon < 0 || colon == id.length() - 1) {
            return null;
        }
        for (int k = colon + 1; k < id.length(); k++) {
            if (id.charAt(k) < '0' || id.charAt(k) > '9') {
                return null;
            }
        }
        String name = id.substring(id.startsWith(FUNCTIONS) ? FUNCTIONS.length() : 0, colon);
        return name.isEmpty() ? null : name;
    }
}
