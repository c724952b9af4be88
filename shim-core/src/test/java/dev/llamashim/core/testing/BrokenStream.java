package dev.llamashim.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A native {@code chat.completion.chunk} stream for one intended message, written with chosen
 * defects of the kind real upstreams have, for testing the repairer.
 *
 * @param content the message's text, or {@code null}
 * @param calls the tool calls the message makes
 * @param includeUsage whether the client asked for {@code include_usage} (the upstream then
 *     sends usage, in a usage chunk unless {@link Defect#USAGE_ON_FINISH_CHUNK})
 * @param defects what the upstream gets wrong
 * @param crlf whether lines end with {@code \r\n} instead of {@code \n}
 * @param pieceSize code units of text or arguments per delta
 */
public record BrokenStream(
        String content, List<Call> calls, boolean includeUsage, Set<Defect> defects, boolean crlf, int pieceSize) {

    /** The usage every generated stream reports. */
    public static final String USAGE = "{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * One intended tool call.
     *
     * @param name the function's name
     * @param arguments the arguments object; the intended argument text is its compact JSON
     */
    public record Call(String name, ObjectNode arguments) {

        /** The arguments as the message carries them. */
        public String argumentsText() {
            return arguments.toString();
        }
    }

    /** What an upstream may get wrong. */
    public enum Defect {
        /** Tool-call deltas without {@code index}. */
        MISSING_INDEX,
        /** First tool-call deltas without {@code id} (with {@link #MISSING_INDEX}: only the first call's). */
        MISSING_ID,
        /** Every delta of a call repeats its {@code id}. */
        REPEATED_ID,
        /** Every delta of a call repeats {@code function.name}. */
        REPEATED_NAME,
        /** {@code arguments} sent once, as a JSON object. */
        OBJECT_ARGUMENTS,
        /** No {@code type} in first tool-call deltas. */
        MISSING_TYPE,
        /** An empty {@code arguments} piece between the others. */
        EMPTY_ARGUMENTS_PIECE,
        /** The first delta has no {@code role}. */
        MISSING_ROLE,
        /** The first delta carries {@code content:""} even when text follows (llama-server b5478). */
        EMPTY_CONTENT_FIRST,
        /** {@code created} moves on after the first chunk (llama-server b9821). */
        CHANGING_CREATED,
        /** The last delta comes with the finish reason. */
        DELTA_ON_FINISH_CHUNK,
        /** No chunk with a {@code finish_reason}. */
        NO_FINISH_CHUNK,
        /** No {@code data: [DONE]}. */
        NO_DONE,
        /** {@code usage} on the finish chunk (or the last chunk), no usage chunk (llama-server b5478). */
        USAGE_ON_FINISH_CHUNK,
        /** A keep-alive comment after every chunk. */
        KEEP_ALIVE_COMMENTS
    }

    /** Checks and copies; {@code content} must be null or non-empty. */
    public BrokenStream {
        if ("".equals(content)) {
            throw new IllegalArgumentException("content must be null or non-empty");
        }
        calls = List.copyOf(calls);
        defects = defects.isEmpty() ? EnumSet.noneOf(Defect.class) : EnumSet.copyOf(defects);
        if (pieceSize < 1) {
            throw new IllegalArgumentException("pieceSize " + pieceSize);
        }
    }

    /** The finish reason the message ends with. */
    public String finishReason() {
        return calls.isEmpty() ? "stop" : "tool_calls";
    }

    /** The id the upstream gives call {@code i} when it gives one. */
    public static String upstreamId(int i) {
        return "up" + i + "x";
    }

    /** Whether the upstream sends call {@code i}'s id. */
    public boolean sendsId(int i) {
        return !defects.contains(Defect.MISSING_ID) || (defects.contains(Defect.MISSING_INDEX) && i > 0);
    }

    /** The stream's bytes. */
    public byte[] bytes() {
        List<ObjectNode> deltas = new ArrayList<>();
        ObjectNode role = NODES.objectNode();
        if (!defects.contains(Defect.MISSING_ROLE)) {
            role.put("role", "assistant");
        }
        if (defects.contains(Defect.EMPTY_CONTENT_FIRST)) {
            role.put("content", "");
        } else {
            role.putNull("content");
        }
        deltas.add(role);
        if (content != null) {
            for (String piece : pieces(content)) {
                deltas.add(NODES.objectNode().put("content", piece));
            }
        }
        for (int i = 0; i < calls.size(); i++) {
            Call call = calls.get(i);
            List<String> pieces = defects.contains(Defect.OBJECT_ARGUMENTS) ? List.of() : pieces(call.argumentsText());
            for (int p = 0; p < 1 + pieces.size(); p++) {
                boolean first = p == 0;
                ObjectNode delta = NODES.objectNode();
                if (!defects.contains(Defect.MISSING_INDEX)) {
                    delta.put("index", i);
                }
                if ((first && sendsId(i)) || (!first && defects.contains(Defect.REPEATED_ID) && sendsId(i))) {
                    delta.put("id", upstreamId(i));
                }
                if (first && !defects.contains(Defect.MISSING_TYPE)) {
                    delta.put("type", "function");
                }
                ObjectNode function = delta.putObject("function");
                if (first || defects.contains(Defect.REPEATED_NAME)) {
                    function.put("name", call.name());
                }
                if (first && defects.contains(Defect.OBJECT_ARGUMENTS)) {
                    function.set("arguments", call.arguments());
                } else if (first) {
                    function.put("arguments", "");
                } else {
                    function.put("arguments", pieces.get(p - 1));
                }
                ObjectNode wrapper = NODES.objectNode();
                wrapper.putArray("tool_calls").add(delta);
                deltas.add(wrapper);
                if (!first && p == 1 && defects.contains(Defect.EMPTY_ARGUMENTS_PIECE)) {
                    ObjectNode empty = NODES.objectNode();
                    ObjectNode emptyCall = empty.putArray("tool_calls").addObject();
                    if (!defects.contains(Defect.MISSING_INDEX)) {
                        emptyCall.put("index", i);
                    }
                    emptyCall.putObject("function").put("arguments", "");
                    deltas.add(empty);
                }
            }
        }

        List<ObjectNode> chunks = new ArrayList<>();
        for (ObjectNode delta : deltas) {
            chunks.add(chunk(chunks.size(), delta, null));
        }
        boolean finishChunk = !defects.contains(Defect.NO_FINISH_CHUNK);
        if (finishChunk) {
            ObjectNode finish = chunk(chunks.size(), NODES.objectNode(), finishReason());
            if (defects.contains(Defect.DELTA_ON_FINISH_CHUNK) && deltas.size() > 1) {
                chunks.remove(chunks.size() - 1);
                finish = chunk(chunks.size(), deltas.get(deltas.size() - 1), finishReason());
            }
            chunks.add(finish);
        }
        if (defects.contains(Defect.USAGE_ON_FINISH_CHUNK)) {
            chunks.get(chunks.size() - 1).set("usage", usage());
            chunks.get(chunks.size() - 1).set("timings", NODES.objectNode().put("predicted_n", 7));
        } else if (includeUsage) {
            ObjectNode usageChunk = chunk(chunks.size(), null, null);
            usageChunk.set("usage", usage());
            usageChunk.set("timings", NODES.objectNode().put("predicted_n", 7));
            chunks.add(usageChunk);
        }

        String nl = crlf ? "\r\n" : "\n";
        StringBuilder out = new StringBuilder();
        for (ObjectNode chunk : chunks) {
            out.append("data: ").append(chunk).append(nl).append(nl);
            if (defects.contains(Defect.KEEP_ALIVE_COMMENTS)) {
                out.append(": keep-alive").append(nl).append(nl);
            }
        }
        if (!defects.contains(Defect.NO_DONE)) {
            out.append("data: [DONE]").append(nl).append(nl);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private ObjectNode chunk(int number, ObjectNode delta, String finishReason) {
        ObjectNode chunk = NODES.objectNode();
        ArrayNode choices = chunk.putArray("choices");
        if (delta != null) {
            ObjectNode entry = choices.addObject();
            entry.put("index", 0);
            entry.set("delta", delta);
            entry.put("finish_reason", finishReason);
        }
        chunk.put("created", 1_700_000_000L + (defects.contains(Defect.CHANGING_CREATED) ? number : 0));
        chunk.put("id", "chatcmpl-broken");
        chunk.put("model", "tiny");
        chunk.put("system_fingerprint", "b1-test");
        chunk.put("object", "chat.completion.chunk");
        return chunk;
    }

    private static JsonNode usage() {
        ObjectNode usage = NODES.objectNode();
        usage.put("prompt_tokens", 5).put("completion_tokens", 7).put("total_tokens", 12);
        return usage;
    }

    private List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = Math.min(text.length(), start + pieceSize);
            if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
                end++; // a piece never splits a surrogate pair
            }
            pieces.add(text.substring(start, end));
            start = end;
        }
        return pieces;
    }

    /** The content the repaired stream must accumulate to. */
    public String expectedContent() {
        if (content != null) {
            return content;
        }
        return defects.contains(Defect.EMPTY_CONTENT_FIRST) ? "" : null;
    }

    @Override
    public String toString() {
        return "BrokenStream[" + defects + (crlf ? ", CRLF" : ", LF") + ", pieces of " + pieceSize + ", include_usage "
                + includeUsage + ", content " + Objects.toString(content) + ", calls " + calls + "]";
    }
}
