package dev.llamashim.core;

import java.util.List;

/**
 * Llama 3.x's JSON tool calls, after vLLM's {@code llama_tool_parser.py} and llama.cpp's
 * {@code common_chat_parse_llama_3_1}: an object {@code {"name": …, "parameters": {…}}} (or
 * {@code "arguments"}), either after {@code <|python_tag|>} or as the text itself (whitespace
 * before it allowed). The bare object is held only while it can still be
 * {@code {"name": "<a declared name>"} — its first characters decide — and ends where its JSON
 * ends. One object per block: vLLM's {@code ;}-separated list is not read.
 */
final class Llama3Markup {

    static final String PYTHON_TAG = "<|python_tag|>";
    private static final int MAX_HEAD = 512;
    private static final String NAME_KEY = "\"name\"";

    private Llama3Markup() {}

    /** A block opened by {@link #PYTHON_TAG}. */
    static MarkupBlock pythonTagBlock(DeclaredTools tools) {
        return new PythonTagBlock(tools);
    }

    /** A block that is a bare object: it starts at the {@code {} that opens the text. */
    static MarkupBlock objectBlock(DeclaredTools tools) {
        return new ObjectBlock(tools);
    }

    private static List<TextPiece.Call> calls(String json, DeclaredTools tools) {
        TextPiece.Call call = ToolCallJson.callFromObject(ToolCallJson.read(json), ToolCallFormat.LLAMA3, tools);
        return call == null ? null : List.of(call);
    }

    private static final class PythonTagBlock implements MarkupBlock {

        private final DeclaredTools tools;
        private final JsonEnd json = new JsonEnd();
        private int read = PYTHON_TAG.length();
        private int jsonStart = -1;

        PythonTagBlock(DeclaredTools tools) {
            this.tools = tools;
        }

        @Override
        public int advance(CharSequence text, int start, int limit) {
            for (int i = start + read; i < limit; i++) {
                char c = text.charAt(i);
                if (jsonStart < 0) {
                    if (c == '{') {
                        jsonStart = i - start;
                        json.accept(c);
                    } else if (!MarkupText.isSpace(c) || i - start > MAX_HEAD) {
                        return NOT_A_BLOCK;
                    }
                } else if (json.accept(c)) {
                    return i + 1;
                }
            }
            read = limit - start;
            return NEED_MORE;
        }

        @Override
        public List<TextPiece.Call> calls(String block) {
            return Llama3Markup.calls(block.substring(jsonStart), tools);
        }

        @Override
        public List<TextPiece.Call> callsAtEnd(String block) {
            return null;
        }

        @Override
        public int openingLength() {
            return PYTHON_TAG.length();
        }
    }

    private enum Head { BEFORE_KEY, KEY, BEFORE_COLON, BEFORE_NAME, NAME, BODY }

    /** {@code {"name": "N"…}: the head is matched character by character while the JSON's end is sought. */
    private static final class ObjectBlock implements MarkupBlock {

        private final DeclaredTools tools;
        private final JsonEnd json = new JsonEnd();
        private Head head = Head.BEFORE_KEY;
        private int read;
        private int keyMatched;
        private int nameStart;

        ObjectBlock(DeclaredTools tools) {
            this.tools = tools;
        }

        @Override
        public int advance(CharSequence text, int start, int limit) {
            for (int i = start + read; i < limit; i++) {
                char c = text.charAt(i);
                boolean closed = json.accept(c);
                if (i == start) {
                    continue; // the opening brace
                }
                if (head != Head.BODY && (closed || !headAccepts(text, start, i, c) || i - start > MAX_HEAD)) {
                    return NOT_A_BLOCK;
                }
                if (closed) {
                    return i + 1;
                }
            }
            read = limit - start;
            return NEED_MORE;
        }

        private boolean headAccepts(CharSequence text, int start, int i, char c) {
            switch (head) {
                case BEFORE_KEY, BEFORE_COLON, BEFORE_NAME -> {
                    if (MarkupText.isSpace(c)) {
                        return true;
                    }
                    char expected = head == Head.BEFORE_COLON ? ':' : '"';
                    if (c != expected) {
                        return false;
                    }
                    if (head == Head.BEFORE_KEY) {
                        head = Head.KEY;
                        keyMatched = 1;
                    } else if (head == Head.BEFORE_COLON) {
                        head = Head.BEFORE_NAME;
                    } else {
                        head = Head.NAME;
                        nameStart = i + 1 - start;
                    }
                    return true;
                }
                case KEY -> {
                    if (c != NAME_KEY.charAt(keyMatched)) {
                        return false;
                    }
                    if (++keyMatched == NAME_KEY.length()) {
                        head = Head.BEFORE_COLON;
                    }
                    return true;
                }
                case NAME -> {
                    if (c == '"') {
                        head = Head.BODY;
                        return tools.declares(text.subSequence(start + nameStart, i).toString());
                    }
                    return c != '\\' && MarkupText.beginsDeclaredName(tools, text, start + nameStart, i + 1);
                }
                default -> {
                    return true;
                }
            }
        }

        @Override
        public List<TextPiece.Call> calls(String block) {
            return Llama3Markup.calls(block, tools);
        }

        @Override
        public List<TextPiece.Call> callsAtEnd(String block) {
            return null;
        }

        @Override
        public int openingLength() {
            return 1;
        }
    }
}
