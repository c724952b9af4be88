package dev.llamashim.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Mistral's tool calls, after vLLM's {@code mistral_tool_parser.py} and llama.cpp's
 * {@code common_chat_parse_mistral_nemo} / {@code common_chat_parse_magistral}: {@code [TOOL_CALLS]}
 * followed by a JSON array of {@code {"name", "arguments"}} objects (tokenizers before v11), or
 * by {@code NAME{…}} (v11) or {@code NAME[ARGS]{…}} (Magistral, Ministral 3, Devstral 2), one call
 * per {@code [TOOL_CALLS]}. The block ends where its JSON ends.
 */
final class MistralMarkup {

    static final String OPENING = "[TOOL_CALLS]";
    private static final String ARGS = "[ARGS]";
    private static final int MAX_LEADING_SPACES = 256;

    private MistralMarkup() {}

    /** A block opened by {@link #OPENING}. */
    static MarkupBlock block(DeclaredTools tools) {
        return new Block(tools);
    }

    private enum State { HEAD, NAME, ARGS_TAG, BEFORE_JSON, JSON }

    private static final class Block implements MarkupBlock {

        private final DeclaredTools tools;
        private final JsonEnd json = new JsonEnd();
        private State state = State.HEAD;
        /** Positions relative to the block's start. */
        private int read = OPENING.length();
        private int nameStart = -1;
        private int nameEnd = -1;
        private int jsonStart = -1;
        private int argsMatched;

        Block(DeclaredTools tools) {
            this.tools = tools;
        }

        @Override
        public int advance(CharSequence text, int start, int limit) {
            for (int i = start + read; i < limit; i++) {
                char c = text.charAt(i);
                int at = i - start;
                switch (state) {
                    case HEAD -> {
                        if (MarkupText.isSpace(c)) {
                            if (at - OPENING.length() >= MAX_LEADING_SPACES) {
                                return NOT_A_BLOCK;
                            }
                        } else if (c == '[') {
                            startJson(at);
                            json.accept(c);
                        } else if (MarkupText.beginsDeclaredName(tools, text, i, i + 1)) {
                            nameStart = at;
                            state = State.NAME;
                        } else {
                            return NOT_A_BLOCK;
                        }
                    }
                    case NAME -> {
                        if (c == '{' || c == '[') {
                            nameEnd = at;
                            if (!tools.declares(text.subSequence(start + nameStart, i).toString())) {
                                return NOT_A_BLOCK;
                            }
                            if (c == '{') {
                                startJson(at);
                                json.accept(c);
                            } else {
                                state = State.ARGS_TAG;
                                argsMatched = 1;
                            }
                        } else if (!MarkupText.beginsDeclaredName(tools, text, start + nameStart, i + 1)) {
                            return NOT_A_BLOCK;
                        }
                    }
                    case ARGS_TAG -> {
                        if (c != ARGS.charAt(argsMatched)) {
                            return NOT_A_BLOCK;
                        }
                        if (++argsMatched == ARGS.length()) {
                            state = State.BEFORE_JSON;
                        }
                    }
                    case BEFORE_JSON -> {
                        if (c == '{') {
                            startJson(at);
                            json.accept(c);
                        } else if (!MarkupText.isSpace(c) || at - nameEnd > MAX_LEADING_SPACES) {
                            return NOT_A_BLOCK;
                        }
                    }
                    case JSON -> {
                        if (json.accept(c)) {
                            return i + 1;
                        }
                    }
                }
            }
            read = limit - start;
            return NEED_MORE;
        }

        private void startJson(int at) {
            jsonStart = at;
            state = State.JSON;
        }

        @Override
        public List<TextPiece.Call> calls(String block) {
            String arguments = block.substring(jsonStart);
            if (nameStart < 0) {
                JsonNode array = ToolCallJson.read(arguments);
                if (array == null || !array.isArray() || array.isEmpty()) {
                    return null;
                }
                List<TextPiece.Call> calls = new ArrayList<>(array.size());
                for (JsonNode element : array) {
                    TextPiece.Call call = ToolCallJson.callFromObject(element, ToolCallFormat.MISTRAL, tools);
                    if (call == null) {
                        return null;
                    }
                    calls.add(call);
                }
                return calls;
            }
            TextPiece.Call call = ToolCallJson.call(block.substring(nameStart, nameEnd), arguments, ToolCallFormat.MISTRAL, tools);
            return call == null ? null : List.of(call);
        }

        @Override
        public List<TextPiece.Call> callsAtEnd(String block) {
            return null;
        }

        @Override
        public int openingLength() {
            return OPENING.length();
        }
    }
}
