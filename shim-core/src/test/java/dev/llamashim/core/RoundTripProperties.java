package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The round-trip law of docs/STREAM-CONTRACT.md over generated chat completions: random Unicode (surrogate
 * pairs, lone surrogates, ZWJ sequences, control characters), empty and null content, reasoning,
 * 0–5 tool calls with and without ids and indices, arguments as strings or objects, usage or
 * not, unknown fields at every level, 1–3 choices, random chunk sizes. Each response is
 * generated as JSON bytes, so {@link ChatResponse#parse} is exercised too.
 */
class RoundTripProperties {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper ASCII = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper EXACT = JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private static final List<String> TOP_EXTRAS =
            List.of("timings", "x_vendor", "prompt_filter_results", "service_tier", "ünïcödé 😀");
    private static final List<String> CHOICE_EXTRAS = List.of("x_choice", "stop_reason", "matched_stop", "ü");
    private static final List<String> MESSAGE_EXTRAS = List.of("refusal", "annotations", "audio", "function_call", "x_msg");
    private static final List<String> CALL_EXTRAS = List.of("x_call", "extra_content", "ü");
    private static final List<String> FUNCTION_EXTRAS = List.of("x_fn", "strict", "ü");

    /** A generated response: its JSON bytes, shown as text when a property fails. */
    record JsonText(byte[] bytes) {
        @Override
        public String toString() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    @Property(tries = 250)
    void synthesizedStreamAccumulatesBackToTheParsedResponseAndMeetsTheContract(
            @ForAll("responses") JsonText json, @ForAll("policies") ChunkingPolicy policy, @ForAll boolean includeUsage) {
        ChatResponse response = ChatResponse.parse(json.bytes());

        byte[] stream = new StreamSynthesizer(policy).toBytes(response, includeUsage);

        assertThat(RoundTrip.accumulate(stream)).isEqualTo(RoundTrip.expected(response, includeUsage));
        assertThat(StreamContract.violations(stream, includeUsage && response.usage() != null)).isEmpty();
    }

    @Property(tries = 100)
    void eventListCarriesTheChunksOfTheByteStream(
            @ForAll("responses") JsonText json, @ForAll("policies") ChunkingPolicy policy, @ForAll boolean includeUsage)
            throws IOException {
        ChatResponse response = ChatResponse.parse(json.bytes());
        StreamSynthesizer synthesizer = new StreamSynthesizer(policy);

        List<SseChunk> events = synthesizer.synthesize(response, includeUsage);
        List<SseChunk> parsed = SseParser.parseAll(synthesizer.toBytes(response, includeUsage));

        assertThat(events).hasSameSizeAs(parsed);
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof SseChunk.Data data) {
                assertThat(MAPPER.readTree(data.data()))
                        .isEqualTo(MAPPER.readTree(((SseChunk.Data) parsed.get(i)).data()));
            } else {
                assertThat(parsed.get(i)).isEqualTo(events.get(i));
            }
        }
    }

    /** The parser against plain Jackson, so that the law cannot hold by two equal mistakes. */
    @Property(tries = 150)
    void parsedResponseHoldsWhatTheJsonSays(@ForAll("responses") JsonText json) throws IOException {
        JsonNode tree = MAPPER.readTree(json.bytes());
        ChatResponse response = ChatResponse.parse(json.bytes());

        JsonNode choices = tree.get("choices");
        assertThat(response.choices()).hasSameSizeAs(choices);
        for (int position = 0; position < choices.size(); position++) {
            JsonNode choiceNode = choices.get(position);
            int index = choiceNode.has("index") ? choiceNode.get("index").asInt() : position;
            Choice choice = response.choices().get(index);
            assertThat(choice.index()).isEqualTo(index);
            assertThat(choice.finishReason()).isEqualTo(choiceNode.path("finish_reason").textValue());
            JsonNode message = choiceNode.get("message");
            assertThat(choice.message().content()).isEqualTo(message.path("content").textValue());
            assertThat(choice.message().reasoningContent()).isEqualTo(message.path("reasoning_content").textValue());
            JsonNode calls = message.path("tool_calls");
            assertThat(choice.message().toolCalls()).hasSize(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                JsonNode callNode = calls.get(i);
                ToolCall call = choice.message().toolCalls().get(i);
                assertThat(call.index()).isEqualTo(i);
                String id = callNode.path("id").textValue();
                if (id == null || id.isEmpty()) {
                    assertThat(call.id()).matches("call_[A-Za-z0-9]{24}");
                } else {
                    assertThat(call.id()).isEqualTo(id);
                }
                assertThat(call.name()).isEqualTo(callNode.get("function").get("name").textValue());
                JsonNode arguments = callNode.get("function").path("arguments");
                if (arguments.isTextual()) {
                    assertThat(call.arguments()).isEqualTo(arguments.textValue());
                } else if (arguments.isObject()) {
                    // Compact JSON text of the same value; numbers are copied exactly, so compare exactly.
                    assertThat(call.arguments()).doesNotContain("\n", " : ");
                    assertSameJson(EXACT.readTree(call.arguments()), EXACT.readTree(MAPPER.writeValueAsString(arguments)));
                } else {
                    assertThat(call.arguments()).isEmpty();
                }
            }
        }
        JsonNode usage = tree.path("usage");
        if (usage.isObject()) {
            assertSameJson(EXACT.readTree(response.usage().json()), EXACT.readTree(MAPPER.writeValueAsString(usage)));
        } else {
            assertThat(response.usage()).isNull();
        }
    }

    /**
     * Equal JSON, numbers compared by value: the parser keeps a number's exact value, but a float
     * that is a whole number ({@code -9.9E14}) comes out in integer form ({@code -990000000000000}),
     * which Jackson reads as another node type.
     */
    private static void assertSameJson(JsonNode actual, JsonNode expected) {
        Comparator<JsonNode> numbersByValue = (a, b) -> a.equals(b)
                || (a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0) ? 0 : 1;
        assertThat(actual.equals(numbersByValue, expected)).as("%s equals %s", actual, expected).isTrue();
    }

    // --- generators ---

    @Provide
    Arbitrary<ChunkingPolicy> policies() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(ChunkingPolicy.whole())),
                Tuple.of(2, Arbitraries.integers().between(1, 3).map(ChunkingPolicy::byCodePoints)),
                Tuple.of(4, Arbitraries.integers().between(4, 12).map(ChunkingPolicy::byCodePoints)),
                Tuple.of(1, Arbitraries.integers().between(13, 200).map(ChunkingPolicy::byCodePoints)));
    }

    @Provide
    Arbitrary<JsonText> responses() {
        Arbitrary<List<ObjectNode>> choices = Arbitraries.integers().between(1, 3).flatMap(n -> {
            List<Arbitrary<ObjectNode>> each = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                each.add(choice(c));
            }
            return Combinators.combine(each).as(list -> list);
        });
        Arbitrary<JsonNode> usage = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(3, Arbitraries.integers().between(0, 5000).list().ofSize(3).map(t -> (JsonNode) NODES.objectNode()
                                .put("prompt_tokens", t.get(0)).put("completion_tokens", t.get(1)).put("total_tokens", t.get(2)))),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.3);
        Arbitrary<Integer> rendering = Arbitraries.integers().between(0, 3);
        return Combinators.combine(envelope(), choices, Arbitraries.of(true, false), usage, extras(TOP_EXTRAS),
                        Arbitraries.of(true, false), rendering)
                .flatAs((env, choiceList, indicesGiven, usageNode, extras, llamaOrder, render) ->
                        Arbitraries.shuffle(indexList(choiceList.size())).map(order -> {
                            ObjectNode response = NODES.objectNode();
                            ArrayNode array = NODES.arrayNode();
                            // With indices given the array may list the choices in any order.
                            List<Integer> positions = indicesGiven ? order : indexList(choiceList.size());
                            for (int c : positions) {
                                ObjectNode choice = choiceList.get(c).deepCopy();
                                if (indicesGiven) {
                                    ObjectNode withIndex = NODES.objectNode().put("index", c);
                                    withIndex.setAll(choice);
                                    choice = withIndex;
                                }
                                array.add(choice);
                            }
                            if (llamaOrder) {
                                response.set("choices", array);
                                response.setAll(env);
                            } else {
                                response.setAll(env);
                                response.set("choices", array);
                            }
                            if (usageNode != null) {
                                response.set("usage", usageNode);
                            }
                            extras.forEach(response::set);
                            return new JsonText(render(response, render));
                        }));
    }

    private static List<Integer> indexList(int n) {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(i);
        }
        return list;
    }

    /** Four ways a server may write the same JSON. */
    private static byte[] render(JsonNode node, int how) {
        try {
            return switch (how) {
                // Jackson's UTF-8 writer escapes every surrogate as a \\u escape.
                case 0 -> MAPPER.writeValueAsBytes(node);
                // Raw 4-byte UTF-8 for supplementary characters (a lone surrogate becomes '?').
                case 1 -> MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
                case 2 -> MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
                default -> ASCII.writeValueAsBytes(node);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Arbitrary<ObjectNode> envelope() {
        Arbitrary<JsonNode> id = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(4, Arbitraries.strings().alpha().numeric().ofLength(24).map(s -> (JsonNode) TextNode.valueOf("chatcmpl-" + s))),
                        Tuple.of(1, text(0, 10).map(TextNode::valueOf)),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.15);
        Arbitrary<JsonNode> created = Arbitraries.longs().between(0, 4_000_000_000L).map(l -> (JsonNode) LongNode.valueOf(l))
                .injectNull(0.15);
        Arbitrary<JsonNode> model = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(3, Arbitraries.of("tiny.gguf", "gpt-4o", "").map(TextNode::valueOf)),
                        Tuple.of(1, text(0, 10).map(TextNode::valueOf)),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.15);
        Arbitrary<JsonNode> fingerprint = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(3, Arbitraries.of("b0-unknown", "fp_44709d6fcb").map(TextNode::valueOf)),
                        Tuple.of(1, text(0, 10).map(TextNode::valueOf)),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.4);
        return Combinators.combine(id, created, model, fingerprint, Arbitraries.of(true, false))
                .as((i, c, m, f, object) -> {
                    ObjectNode env = NODES.objectNode();
                    putIfPresent(env, "id", i);
                    if (object) {
                        env.put("object", "chat.completion");
                    }
                    putIfPresent(env, "created", c);
                    putIfPresent(env, "model", m);
                    putIfPresent(env, "system_fingerprint", f);
                    return env;
                });
    }

    private static Arbitrary<ObjectNode> choice(int c) {
        Arbitrary<JsonNode> finishReason = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(4, Arbitraries.of("stop", "length", "tool_calls", "content_filter").map(TextNode::valueOf)),
                        Tuple.of(1, text(1, 10).map(TextNode::valueOf)),
                        Tuple.of(2, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.2);
        Arbitrary<JsonNode> logprobs = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())),
                        Tuple.of(1, jsonValue(2).list().ofMaxSize(3).map(list -> {
                            ObjectNode node = NODES.objectNode();
                            node.putArray("content").addAll(list);
                            return (JsonNode) node;
                        })))
                .injectNull(0.6);
        return Combinators.combine(message(c), finishReason, logprobs, extras(CHOICE_EXTRAS), Arbitraries.of(true, false))
                .as((message, finish, probs, extras, llamaOrder) -> {
                    ObjectNode choice = NODES.objectNode();
                    if (llamaOrder) {
                        putIfPresent(choice, "finish_reason", finish);
                        choice.set("message", message);
                        putIfPresent(choice, "logprobs", probs);
                    } else {
                        choice.set("message", message);
                        putIfPresent(choice, "logprobs", probs);
                        putIfPresent(choice, "finish_reason", finish);
                    }
                    extras.forEach(choice::set);
                    return choice;
                });
    }

    private static Arbitrary<ObjectNode> message(int c) {
        Arbitrary<JsonNode> content = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(6, text(0, 40).map(TextNode::valueOf)),
                        Tuple.of(1, Arbitraries.just(TextNode.valueOf(""))),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.15);
        Arbitrary<JsonNode> reasoning = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(3, text(0, 30).map(TextNode::valueOf)),
                        Tuple.of(1, Arbitraries.just(TextNode.valueOf(""))),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.5);
        Arbitrary<List<ObjectNode>> calls = Arbitraries.integers().between(0, 5).flatMap(n -> {
            List<Arbitrary<ObjectNode>> each = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                each.add(toolCall(c, i));
            }
            return Combinators.combine(each).as(list -> list);
        });
        Arbitrary<Integer> noCallsForm = Arbitraries.integers().between(0, 2); // absent, [], null
        return Combinators.combine(Arbitraries.of(true, false), content, reasoning, calls, noCallsForm, extras(MESSAGE_EXTRAS))
                .as((role, text, thought, callList, form, extras) -> {
                    ObjectNode message = NODES.objectNode();
                    if (role) {
                        message.put("role", "assistant");
                    }
                    putIfPresent(message, "reasoning_content", thought);
                    putIfPresent(message, "content", text);
                    if (!callList.isEmpty()) {
                        message.putArray("tool_calls").addAll(callList);
                    } else if (form == 1) {
                        message.putArray("tool_calls");
                    } else if (form == 2) {
                        message.putNull("tool_calls");
                    }
                    extras.forEach(message::set);
                    return message;
                });
    }

    private static Arbitrary<ObjectNode> toolCall(int choice, int position) {
        Arbitrary<JsonNode> id = Arbitraries.<JsonNode>frequencyOf(
                        // Given ids are unique by construction: the contract forbids repeats.
                        Tuple.of(5, Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(32)
                                .map(s -> (JsonNode) TextNode.valueOf(s + "_" + choice + "_" + position))),
                        Tuple.of(1, Arbitraries.just(TextNode.valueOf(""))),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.25);
        Arbitrary<JsonNode> arguments = Arbitraries.<JsonNode>frequencyOf(
                        Tuple.of(5, text(0, 30).map(TextNode::valueOf)),
                        Tuple.of(3, jsonObject(2).map(o -> (JsonNode) TextNode.valueOf(o.toString()))),
                        Tuple.of(2, jsonObject(2).map(o -> (JsonNode) o)),
                        Tuple.of(1, Arbitraries.just(NullNode.getInstance())))
                .injectNull(0.1);
        return Combinators.combine(id, Arbitraries.of(true, false), text(1, 12), arguments, Arbitraries.of(true, false),
                        extras(CALL_EXTRAS), extras(FUNCTION_EXTRAS), Arbitraries.of(true, false))
                .as((callId, typed, name, args, indexed, callExtras, functionExtras, llamaOrder) -> {
                    ObjectNode function = NODES.objectNode();
                    function.put("name", name);
                    putIfPresent(function, "arguments", args);
                    functionExtras.forEach(function::set);
                    ObjectNode call = NODES.objectNode();
                    if (indexed) {
                        call.put("index", position);
                    }
                    if (llamaOrder) {
                        if (typed) {
                            call.put("type", "function");
                        }
                        call.set("function", function);
                        putIfPresent(call, "id", callId);
                    } else {
                        putIfPresent(call, "id", callId);
                        if (typed) {
                            call.put("type", "function");
                        }
                        call.set("function", function);
                    }
                    callExtras.forEach(call::set);
                    return call;
                });
    }

    /** Up to three fields named from {@code pool}, with any JSON values. */
    private static Arbitrary<Map<String, JsonNode>> extras(List<String> pool) {
        return Combinators.combine(Arbitraries.shuffle(pool), jsonValue(2).list().ofMaxSize(3))
                .as((names, values) -> {
                    Map<String, JsonNode> extras = new LinkedHashMap<>();
                    for (int i = 0; i < values.size(); i++) {
                        extras.put(names.get(i), values.get(i));
                    }
                    return extras;
                });
    }

    private static Arbitrary<JsonNode> jsonValue(int depth) {
        Arbitrary<JsonNode> leaf = Arbitraries.<JsonNode>frequencyOf(
                Tuple.of(3, text(0, 12).map(TextNode::valueOf)),
                Tuple.of(2, Arbitraries.longs().map(LongNode::valueOf)),
                Tuple.of(2, Arbitraries.doubles().map(DoubleNode::valueOf)),
                Tuple.of(1, Arbitraries.of(BooleanNode.TRUE, BooleanNode.FALSE, NullNode.getInstance())));
        if (depth == 0) {
            return leaf;
        }
        return Arbitraries.frequencyOf(
                Tuple.of(4, leaf),
                Tuple.of(1, jsonValue(depth - 1).list().ofMaxSize(3).map(list -> (JsonNode) NODES.arrayNode().addAll(list))),
                Tuple.of(1, jsonObject(depth - 1).map(o -> (JsonNode) o)));
    }

    private static Arbitrary<ObjectNode> jsonObject(int depth) {
        // Jackson's parser refuses a lone surrogate in a field name (not in a value), so names have none.
        Arbitrary<String> name = text(0, 6).map(n -> n.chars().anyMatch(c -> Character.isSurrogate((char) c))
                ? n.codePoints().filter(c -> c > 0xFFFF || !Character.isSurrogate((char) c))
                        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString()
                : n);
        return Combinators.combine(name.list().uniqueElements().ofMaxSize(3), jsonValue(depth).list().ofSize(3))
                .as((names, values) -> {
                    ObjectNode object = NODES.objectNode();
                    for (int i = 0; i < names.size(); i++) {
                        object.set(names.get(i), values.get(i));
                    }
                    return object;
                });
    }

    /**
     * Text of {@code min}..{@code max} code points, mostly ASCII, with JSON's special characters,
     * line breaks of every kind, BMP and supplementary characters, emoji parts (ZWJ, variation
     * selector, combining mark) and now and then a lone surrogate.
     */
    static Arbitrary<String> text(int min, int max) {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.integers().between(0x20, 0x7E)),
                Tuple.of(2, Arbitraries.of(0x0A, 0x0D, 0x09, 0x00, 0x1F, 0x22, 0x5C, 0x2F, 0x7F, 0x85, 0x2028, 0x2029, 0xFEFF)),
                Tuple.of(3, Arbitraries.integers().between(0xA0, 0xD7FF)),
                Tuple.of(1, Arbitraries.integers().between(0xE000, 0xFFFD)),
                Tuple.of(3, Arbitraries.integers().between(0x10000, 0x10FFFF)),
                Tuple.of(2, Arbitraries.of(0x1F600, 0x1F469, 0x200D, 0x1F4BB, 0x0301, 0xFE0F, 0x1F3F3, 0x1F308, 0x20000)),
                Tuple.of(1, Arbitraries.integers().between(0xD800, 0xDFFF)));
        return codePoint.list().ofMinSize(min).ofMaxSize(max).map(points -> {
            StringBuilder text = new StringBuilder();
            for (int point : points) {
                if (point >= 0xD800 && point <= 0xDFFF) {
                    text.append((char) point);
                } else {
                    text.appendCodePoint(point);
                }
            }
            return text.toString();
        });
    }

    private static void putIfPresent(ObjectNode node, String field, JsonNode value) {
        if (value != null) {
            node.set(field, value);
        }
    }
}
