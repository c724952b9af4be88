package dev.llamashim.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The three markups that wrap a call in {@code <tool_call>…</tool_call>}, told apart by how the
 * body begins: {@code {} is Hermes (JSON), {@code <function=} is Qwen3-Coder, a name is GLM.
 * <ul>
 *   <li>Hermes, after vLLM's {@code hermes_tool_parser.py} and llama.cpp's
 *       {@code common_chat_parse_hermes_2_pro} ({@code common/chat-parser.cpp}): the body is one
 *       JSON object {@code {"name", "arguments"}}, whitespace around it allowed;
 *   <li>Qwen3-Coder, after vLLM's {@code qwen3coder_tool_parser.py} (and llama.cpp's
 *       {@code common_chat_parse_qwen3_coder_xml}): {@code <function=NAME>} then
 *       {@code <parameter=KEY>VALUE</parameter>} pairs, then {@code </function>}; one newline
 *       after {@code >} and one before {@code </parameter>} are the template's, not the value's;
 *       several functions in one block are several calls;
 *   <li>GLM-4.5/4.6, after vLLM's {@code glm4_moe_tool_parser.py} and llama.cpp's
 *       {@code common_chat_parse_glm_4_5}: {@code NAME} then
 *       {@code <arg_key>KEY</arg_key><arg_value>VALUE</arg_value>} pairs (the value as written).
 * </ul>
 * Only whitespace may stand between the tags. XML values are typed by {@link XmlArgumentTypes}.
 */
final class ToolCallTagMarkup {

    static final String OPENING = "<tool_call>";
    static final String CLOSING = "</tool_call>";
    /** Whitespace allowed between {@code <tool_call>} and the body before the block is taken for prose. */
    private static final int MAX_LEADING_SPACES = 256;
    private static final String FUNCTION = "<function=";
    private static final String FUNCTION_END = "</function>";
    private static final String PARAMETER = "<parameter=";
    private static final String PARAMETER_END = "</parameter>";
    private static final String KEY = "<arg_key>";
    private static final String KEY_END = "</arg_key>";
    private static final String VALUE = "<arg_value>";
    private static final String VALUE_END = "</arg_value>";

    private ToolCallTagMarkup() {}

    /** A block opened by {@code <tool_call>}. */
    static MarkupBlock block(DeclaredTools tools) {
        return new TaggedBlock(OPENING, CLOSING, (text, from, to) -> head(tools, text, from, to),
                body -> calls(body, tools), body -> callsAtEnd(body, tools));
    }

    /**
     * Rejects a body early when its beginning cannot be any of the three: the function name must
     * begin a declared one as far as it has arrived.
     */
    private static int head(DeclaredTools tools, CharSequence text, int from, int to) {
        int i = MarkupText.skipSpaces(text, from);
        if (i - from > MAX_LEADING_SPACES) {
            return MarkupBlock.NOT_A_BLOCK;
        }
        if (i >= to) {
            return MarkupBlock.NEED_MORE;
        }
        char c = text.charAt(i);
        if (c == '{') {
            return 0;
        }
        int nameStart = i;
        if (c == '<') {
            int n = Math.min(to - i, FUNCTION.length());
            if (!MarkupText.prefixOf(text, i, i + n, FUNCTION)) {
                return MarkupBlock.NOT_A_BLOCK;
            }
            if (n < FUNCTION.length()) {
                return MarkupBlock.NEED_MORE;
            }
            nameStart = i + FUNCTION.length();
        }
        int j = nameStart;
        while (j < to && text.charAt(j) != '<' && text.charAt(j) != '>' && !MarkupText.isSpace(text.charAt(j))) {
            j++;
        }
        if (j == to) {
            return MarkupText.beginsDeclaredName(tools, text, nameStart, to) ? MarkupBlock.NEED_MORE : MarkupBlock.NOT_A_BLOCK;
        }
        return tools.declares(text.subSequence(nameStart, j).toString()) ? 0 : MarkupBlock.NOT_A_BLOCK;
    }

    /** The calls in a closed block's body, or null. */
    static List<TextPiece.Call> calls(String body, DeclaredTools tools) {
        int i = MarkupText.skipSpaces(body, 0);
        if (i == body.length()) {
            return null;
        }
        if (body.charAt(i) == '{') {
            TextPiece.Call call = ToolCallJson.callFromObject(ToolCallJson.read(body), ToolCallFormat.HERMES, tools);
            return call == null ? null : List.of(call);
        }
        if (MarkupText.startsWith(body, i, FUNCTION)) {
            return qwen3Coder(body, i, tools);
        }
        return glm(body, tools);
    }

    /**
     * The calls in the body of a block the text ended inside: a Hermes object or Qwen3-Coder
     * functions that are complete (only {@code </tool_call>} is missing, as when a model stops
     * right after the call). A GLM body cannot be told complete without its closing tag.
     */
    static List<TextPiece.Call> callsAtEnd(String body, DeclaredTools tools) {
        int i = MarkupText.skipSpaces(body, 0);
        if (i < body.length() && (body.charAt(i) == '{' || MarkupText.startsWith(body, i, FUNCTION))) {
            return calls(body, tools);
        }
        return null;
    }

    private static List<TextPiece.Call> qwen3Coder(String body, int from, DeclaredTools tools) {
        List<TextPiece.Call> calls = new ArrayList<>(1);
        int i = from;
        while (i < body.length()) {
            if (!MarkupText.startsWith(body, i, FUNCTION)) {
                return null;
            }
            int nameEnd = body.indexOf('>', i + FUNCTION.length());
            if (nameEnd < 0) {
                return null;
            }
            String name = body.substring(i + FUNCTION.length(), nameEnd).strip();
            if (!tools.declares(name)) {
                return null;
            }
            Map<String, String> values = new LinkedHashMap<>();
            i = MarkupText.skipSpaces(body, nameEnd + 1);
            while (!MarkupText.startsWith(body, i, FUNCTION_END)) {
                if (!MarkupText.startsWith(body, i, PARAMETER)) {
                    return null;
                }
                int keyEnd = body.indexOf('>', i + PARAMETER.length());
                int valueEnd = keyEnd < 0 ? -1 : body.indexOf(PARAMETER_END, keyEnd + 1);
                if (valueEnd < 0) {
                    return null;
                }
                values.put(body.substring(i + PARAMETER.length(), keyEnd).strip(),
                        withoutTemplateNewlines(body.substring(keyEnd + 1, valueEnd)));
                i = MarkupText.skipSpaces(body, valueEnd + PARAMETER_END.length());
            }
            calls.add(new TextPiece.Call(name, XmlArgumentTypes.arguments(name, values, tools), ToolCallFormat.QWEN3_CODER));
            i = MarkupText.skipSpaces(body, i + FUNCTION_END.length());
        }
        return calls;
    }

    /** The value without the one newline the template puts after {@code >} and before {@code </parameter>}. */
    private static String withoutTemplateNewlines(String value) {
        int start = value.startsWith("\n") ? 1 : 0;
        int end = value.length() > start && value.endsWith("\n") ? value.length() - 1 : value.length();
        return value.substring(start, end);
    }

    private static List<TextPiece.Call> glm(String body, DeclaredTools tools) {
        int keys = body.indexOf(KEY);
        String name = (keys < 0 ? body : body.substring(0, keys)).strip();
        if (!tools.declares(name)) {
            return null;
        }
        Map<String, String> values = new LinkedHashMap<>();
        int i = keys < 0 ? body.length() : keys;
        while (i < body.length()) {
            if (!MarkupText.startsWith(body, i, KEY)) {
                return null;
            }
            int keyEnd = body.indexOf(KEY_END, i + KEY.length());
            if (keyEnd < 0) {
                return null;
            }
            int valueStart = MarkupText.skipSpaces(body, keyEnd + KEY_END.length());
            if (!MarkupText.startsWith(body, valueStart, VALUE)) {
                return null;
            }
            int valueEnd = body.indexOf(VALUE_END, valueStart + VALUE.length());
            if (valueEnd < 0) {
                return null;
            }
            values.put(body.substring(i + KEY.length(), keyEnd).strip(),
                    body.substring(valueStart + VALUE.length(), valueEnd));
            i = MarkupText.skipSpaces(body, valueEnd + VALUE_END.length());
        }
        return List.of(new TextPiece.Call(name, XmlArgumentTypes.arguments(name, values, tools), ToolCallFormat.GLM));
    }
}
