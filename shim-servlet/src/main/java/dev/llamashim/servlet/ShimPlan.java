package dev.llamashim.servlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.core.DeclaredTools;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.TextToolCalls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What the filter does with one chat request body: whether to take it on, and if so the body the
 * forwarder gets, whether the client asked for a usage chunk, and the tools it declared.
 *
 * <p>Two kinds of request are taken on: a {@code stream:true} one to shim (the forwarder may get
 * {@code stream:false} and no {@code stream_options}), and, with {@code normalize_non_stream}, a
 * {@code stream:false} one that declared tools, whose JSON answer is to be repaired (the
 * forwarder gets the body as it came).
 *
 * <p>The body is read once with Jackson's streaming parser, without building a tree of it, and the
 * rewritten body is the client's own bytes with those two members changed: every other member
 * reaches the model server exactly as written (numbers, escapes), only the separators between
 * members are made compact. When a key repeats, its last occurrence decides, as in a JSON tree.
 * Only the values of {@code tools}, {@code functions}, {@code tool_choice} and
 * {@code function_call} are read as trees, and only for a request that is taken on.
 *
 * @param stream whether the client asked for a stream ({@code false}: a request to normalize)
 * @param upstreamBody a stream request's body with {@code stream:false} and no {@code stream_options};
 *     a request to normalize's body as it came
 * @param includeUsage whether the client sent {@code stream_options.include_usage: true}
 * @param model the request's {@code model}, or {@code ""} when it names none
 * @param tools the tools the request declared, and the function its {@code tool_choice} forces
 */
record ShimPlan(boolean stream, byte[] upstreamBody, boolean includeUsage, String model, DeclaredTools tools) {

    private static final JsonFactory FACTORY = ServletJson.FACTORY;
    private static final ObjectMapper TREES = ServletJson.MAPPER;
    private static final byte[] STREAM_FALSE = "\"stream\":false".getBytes(StandardCharsets.US_ASCII);
    /** The members {@link DeclaredTools} is built from, and the shape each must have to count. */
    private static final Map<String, JsonToken> TOOL_MEMBERS = Map.of(
            "tools", JsonToken.START_ARRAY, "functions", JsonToken.START_ARRAY,
            "tool_choice", JsonToken.START_OBJECT, "function_call", JsonToken.START_OBJECT);

    /** A member kept as written. */
    private static final byte KEEP = 0;
    /** A {@code stream} member, written as {@code "stream":false}. */
    private static final byte STREAM = 1;
    /** A {@code stream_options} member, left out. */
    private static final byte DROP = 2;

    /** What a repair of the answer to this request needs to know. */
    RepairOptions repairOptions(TextToolCalls textToolCalls) {
        return new RepairOptions(includeUsage, tools, textToolCalls);
    }

    /**
     * The plan for {@code body}, or {@code null} when the request is not one to take on: not a
     * JSON object; {@code stream} not {@code true} unless {@code normalizeNonStream} and the
     * request has {@code tools}/{@code functions}; or (with {@link SimulateWhen#TOOLS}) a stream
     * request without {@code tools}/{@code functions}.
     */
    static ShimPlan decide(byte[] body, SimulateWhen when, boolean normalizeNonStream) {
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            if (p.currentTokenLocation().getByteOffset() < 0) {
                // A UTF-16 or UTF-32 body (Jackson detects them) has no byte offsets to splice at:
                // the same object in compact UTF-8, the encoding of JSON between systems (RFC 8259), decides.
                byte[] utf8 = compactUtf8(p);
                try (JsonParser q = FACTORY.createParser(utf8)) {
                    q.nextToken();
                    return new Scan(q).plan(utf8, body, when, normalizeNonStream);
                }
            }
            return new Scan(p).plan(body, body, when, normalizeNonStream);
        } catch (JsonProcessingException e) {
            return null; // Not JSON: the forwarder answers it with its own 400.
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e);
        }
    }

    private static byte[] compactUtf8(JsonParser p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.copyCurrentStructureExact(p);
        }
        return out.toByteArray();
    }

    /** One pass over the top-level members: where each starts, and what the filter needs to know. */
    private static final class Scan {
        private final JsonParser p;
        private int[] starts = new int[16];
        private byte[] kinds = new byte[16];
        private int members;
        private boolean stream;
        private boolean tools;
        private boolean functions;
        private boolean includeUsage;
        private String model = "";
        /** Where the value of each of {@link #TOOL_MEMBERS} lies in the body: {start, end}. */
        private final Map<String, int[]> toolSpans = new HashMap<>();

        Scan(JsonParser p) {
            this.p = p;
        }

        /**
         * Reads the members of the object whose start the parser is on; {@code body} is what it
         * parses, {@code original} the client's bytes (the same, unless they were not UTF-8).
         */
        ShimPlan plan(byte[] body, byte[] original, SimulateWhen when, boolean normalizeNonStream) throws IOException {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                int start = (int) p.currentTokenLocation().getByteOffset();
                String name = p.currentName();
                JsonToken value = p.nextToken();
                int valueStart = (int) p.currentTokenLocation().getByteOffset();
                byte kind = KEEP;
                switch (name) {
                    case "stream" -> {
                        stream = value == JsonToken.VALUE_TRUE;
                        kind = STREAM;
                        p.skipChildren();
                    }
                    case "stream_options" -> {
                        includeUsage = includeUsage(value);
                        kind = DROP;
                    }
                    case "model" -> {
                        model = value == JsonToken.VALUE_STRING ? p.getText() : "";
                        p.skipChildren();
                    }
                    case "tools" -> tools = nonEmptyArray(value);
                    case "functions" -> functions = nonEmptyArray(value);
                    default -> p.skipChildren();
                }
                if (TOOL_MEMBERS.containsKey(name)) {
                    // The parser is on the value's last token, which it has read whole.
                    toolSpans.put(name, TOOL_MEMBERS.get(name) == value
                            ? new int[] {valueStart, (int) p.currentLocation().getByteOffset()} : null);
                }
                add(start, kind);
            }
            boolean declaresTools = tools || functions;
            if (stream && (when == SimulateWhen.ALWAYS || declaresTools)) {
                byte[] upstream = rewrite(body, (int) p.currentTokenLocation().getByteOffset());
                return new ShimPlan(true, upstream, includeUsage, model, declaredTools(body));
            }
            if (!stream && normalizeNonStream && declaresTools) {
                return new ShimPlan(false, original, false, model, declaredTools(body));
            }
            return null;
        }

        /** The tools read from the recorded members alone, as {@link DeclaredTools#fromRequest} reads a whole request. */
        private DeclaredTools declaredTools(byte[] body) throws IOException {
            ObjectNode members = TREES.createObjectNode();
            for (Map.Entry<String, int[]> span : toolSpans.entrySet()) {
                int[] range = span.getValue();
                if (range != null) {
                    members.set(span.getKey(), TREES.readTree(body, range[0], range[1] - range[0]));
                }
            }
            return DeclaredTools.fromRequest(members);
        }

        private void add(int start, byte kind) {
            if (members == starts.length) {
                starts = Arrays.copyOf(starts, 2 * members);
                kinds = Arrays.copyOf(kinds, 2 * members);
            }
            starts[members] = start;
            kinds[members++] = kind;
        }

        /** The body up to its closing brace, with {@code stream} set to false and {@code stream_options} left out. */
        private byte[] rewrite(byte[] body, int closingBrace) {
            byte[] out = new byte[closingBrace + 1 + members * (STREAM_FALSE.length + 1)];
            int size = 0;
            int prefixEnd = members == 0 ? closingBrace : starts[0];
            System.arraycopy(body, 0, out, 0, prefixEnd);
            size += prefixEnd;
            boolean first = true;
            int lastEnd = prefixEnd;
            for (int i = 0; i < members; i++) {
                int start = starts[i];
                int end = memberEnd(body, start, i + 1 < members ? starts[i + 1] : closingBrace);
                lastEnd = end;
                if (kinds[i] == DROP) {
                    continue;
                }
                if (!first) {
                    out[size++] = ',';
                }
                first = false;
                if (kinds[i] == STREAM) {
                    System.arraycopy(STREAM_FALSE, 0, out, size, STREAM_FALSE.length);
                    size += STREAM_FALSE.length;
                } else {
                    System.arraycopy(body, start, out, size, end - start);
                    size += end - start;
                }
            }
            // What follows the last member: white space and the closing brace.
            System.arraycopy(body, lastEnd, out, size, closingBrace + 1 - lastEnd);
            size += closingBrace + 1 - lastEnd;
            return Arrays.copyOf(out, size);
        }

        /** Where the member starting at {@code start} ends: before the white space and comma that precede {@code next}. */
        private static int memberEnd(byte[] body, int start, int next) {
            int end = next;
            while (end > start && isWhitespace(body[end - 1])) {
                end--;
            }
            if (end > start && body[end - 1] == ',') {
                end--;
                while (end > start && isWhitespace(body[end - 1])) {
                    end--;
                }
            }
            return end;
        }

        private static boolean isWhitespace(byte b) {
            return b == ' ' || b == '\t' || b == '\n' || b == '\r';
        }

        /** {@code stream_options.include_usage} read as a JSON tree's {@code asBoolean(false)} reads it. */
        private boolean includeUsage(JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                p.skipChildren();
                return false;
            }
            boolean include = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken token = p.nextToken();
                if (name.equals("include_usage")) {
                    include = switch (token) {
                        case VALUE_TRUE -> true;
                        case VALUE_STRING -> p.getText().trim().equals("true");
                        case VALUE_NUMBER_INT -> p.getBigIntegerValue().signum() != 0;
                        default -> false;
                    };
                }
                p.skipChildren();
            }
            return include;
        }

        private boolean nonEmptyArray(JsonToken value) throws IOException {
            if (value != JsonToken.START_ARRAY) {
                p.skipChildren();
                return false;
            }
            if (p.nextToken() == JsonToken.END_ARRAY) {
                return false;
            }
            p.skipChildren();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                p.skipChildren();
            }
            return true;
        }
    }
}
