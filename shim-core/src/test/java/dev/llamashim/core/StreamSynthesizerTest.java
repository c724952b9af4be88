package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where each part of a response goes in the synthesized stream. */
class StreamSynthesizerTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final StreamSynthesizer WHOLE = new StreamSynthesizer(ChunkingPolicy.whole());

    /** The chunks of the stream, parsed; {@code [DONE]} left out. */
    private static List<JsonNode> chunks(StreamSynthesizer synthesizer, ChatResponse response, boolean includeUsage) {
        List<SseChunk> events = SseParser.parseAll(synthesizer.toBytes(response, includeUsage));
        assertThat(events.get(events.size() - 1)).isEqualTo(SseChunk.DONE);
        List<JsonNode> chunks = new ArrayList<>();
        for (SseChunk event : events.subList(0, events.size() - 1)) {
            try {
                chunks.add(MAPPER.readTree(((SseChunk.Data) event).data()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return chunks;
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String EXTRAS_RESPONSE = "{\"id\":\"chatcmpl-x\",\"created\":5,\"model\":\"m\","
            + "\"system_fingerprint\":\"fp\",\"top_level\":{\"a\":1},"
            + "\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"x_choice\":\"c\",\"logprobs\":{\"content\":[]},"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\",\"refusal\":null,\"x_message\":[1],"
            + "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"x_call\":true,"
            + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\",\"x_function\":2}}]}}],"
            + "\"usage\":{\"total_tokens\":9},\"timings\":{\"predicted_n\":3}}";

    @Test
    void unknownFieldsLandWhereTheJavadocSays() {
        ChatResponse response = ChatResponse.parse(EXTRAS_RESPONSE);
        List<JsonNode> chunks = chunks(WHOLE, response, false);

        // role delta, content, tool call first delta, its arguments, finish chunk
        assertThat(chunks).hasSize(5);
        JsonNode firstDelta = chunks.get(0).get("choices").get(0).get("delta");
        assertThat(firstDelta).isEqualTo(json("{\"role\":\"assistant\",\"refusal\":null,\"x_message\":[1]}"));
        JsonNode callOpening = chunks.get(2).get("choices").get(0).get("delta").get("tool_calls").get(0);
        assertThat(callOpening).isEqualTo(json("{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"\",\"x_function\":2},\"x_call\":true}"));
        JsonNode callArguments = chunks.get(3).get("choices").get(0).get("delta").get("tool_calls").get(0);
        assertThat(callArguments).isEqualTo(json("{\"index\":0,\"function\":{\"arguments\":\"{}\"}}"));
        JsonNode finish = chunks.get(4);
        assertThat(finish.get("choices").get(0)).isEqualTo(json(
                "{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\",\"logprobs\":{\"content\":[]},\"x_choice\":\"c\"}"));
        assertThat(finish.get("top_level")).isEqualTo(json("{\"a\":1}"));
        assertThat(finish.get("timings")).isEqualTo(json("{\"predicted_n\":3}"));
        assertThat(finish.has("usage")).isFalse();
        for (JsonNode chunk : chunks.subList(0, 4)) {
            assertThat(chunk.has("timings")).as("only the last chunk carries the response's extras").isFalse();
        }
        assertThat(RoundTrip.accumulate(WHOLE.toBytes(response, false))).isEqualTo(RoundTrip.expected(response, false));
    }

    @Test
    void withIncludeUsageTheResponsesExtrasRideOnTheUsageChunk() {
        ChatResponse response = ChatResponse.parse(EXTRAS_RESPONSE);
        List<JsonNode> chunks = chunks(WHOLE, response, true);

        assertThat(chunks).hasSize(6);
        JsonNode usageChunk = chunks.get(5);
        assertThat(usageChunk.get("choices")).isEqualTo(json("[]"));
        assertThat(usageChunk.get("usage")).isEqualTo(json("{\"total_tokens\":9}"));
        assertThat(usageChunk.get("timings")).isEqualTo(json("{\"predicted_n\":3}"));
        assertThat(usageChunk.get("top_level")).isEqualTo(json("{\"a\":1}"));
        assertThat(chunks.get(4).has("timings")).isFalse();
        assertThat(StreamContract.violations(WHOLE.toBytes(response, true), true)).isEmpty();
        assertThat(RoundTrip.accumulate(WHOLE.toBytes(response, true))).isEqualTo(RoundTrip.expected(response, true));
    }

    @Test
    void everyChunkCarriesTheSameEnvelope() {
        ChatResponse response = ChatResponse.parse(EXTRAS_RESPONSE);

        for (JsonNode chunk : chunks(new StreamSynthesizer(ChunkingPolicy.byCodePoints(1)), response, true)) {
            assertThat(chunk.get("id").textValue()).isEqualTo("chatcmpl-x");
            assertThat(chunk.get("object").textValue()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.get("created").longValue()).isEqualTo(5);
            assertThat(chunk.get("model").textValue()).isEqualTo("m");
            assertThat(chunk.get("system_fingerprint").textValue()).isEqualTo("fp");
        }
    }

    @Test
    void withoutFingerprintNoChunkHasOne() {
        ChatResponse response = ChatResponse.parse(EXTRAS_RESPONSE.replace("\"system_fingerprint\":\"fp\",", ""));

        assertThat(chunks(WHOLE, response, true)).allSatisfy(chunk -> assertThat(chunk.has("system_fingerprint")).isFalse());
    }

    @Test
    void withoutIncludeUsageNoChunkCarriesUsage() {
        ChatResponse response = ChatResponse.parse(EXTRAS_RESPONSE);

        assertThat(chunks(WHOLE, response, false)).allSatisfy(chunk -> assertThat(chunk.has("usage")).isFalse());
    }

    @Test
    void responseWithoutUsageHasNoUsageChunkEvenWhenUsageWasRequested() {
        // openai-java's accumulator accepts nothing after the finish chunks but a non-null usage.
        ChatResponse response = ChatResponse.parse(EXTRAS_RESPONSE.replace("\"usage\":{\"total_tokens\":9},", ""));

        List<JsonNode> chunks = chunks(WHOLE, response, true);

        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.get("choices").get(0).get("finish_reason").textValue()).isEqualTo("tool_calls");
        assertThat(last.get("timings")).isEqualTo(json("{\"predicted_n\":3}"));
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.has("usage")).isFalse());
        assertThat(RoundTrip.accumulate(WHOLE.toBytes(response, true))).isEqualTo(RoundTrip.expected(response, true));
    }

    @Test
    void severalChoicesStreamTheirDeltasInIndexOrderThenTheirFinishChunks() {
        String json = "{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":["
                + "{\"index\":1,\"finish_reason\":\"length\",\"message\":{\"content\":\"second\","
                + "\"tool_calls\":[{\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}},"
                + "{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"first\"}}],"
                + "\"usage\":{\"total_tokens\":1}}";
        ChatResponse response = ChatResponse.parse(json);
        StreamSynthesizer synthesizer = new StreamSynthesizer(ChunkingPolicy.byCodePoints(3));

        List<JsonNode> chunks = chunks(synthesizer, response, true);

        List<String> order = new ArrayList<>();
        for (JsonNode chunk : chunks) {
            JsonNode choices = chunk.get("choices");
            assertThat(choices.size()).as("one choice per chunk, or the usage chunk").isLessThanOrEqualTo(1);
            if (choices.size() == 1) {
                JsonNode choice = choices.get(0);
                order.add(choice.get("index").asInt() + (choice.get("finish_reason").isNull() ? "" : ":" + choice.get("finish_reason").asText()));
            } else {
                order.add("usage");
            }
        }
        // choice 0: role, "fir", "st"; choice 1: role, "sec", "ond", call, "{}"; then the finish
        // chunks in index order, as OpenAI sends them for n > 1 (see the class Javadoc).
        assertThat(order).containsExactly("0", "0", "0", "1", "1", "1", "1", "1", "0:stop", "1:length", "usage");
        assertThat(StreamContract.violations(synthesizer.toBytes(response, true), true)).isEmpty();
        assertThat(RoundTrip.accumulate(synthesizer.toBytes(response, true))).isEqualTo(RoundTrip.expected(response, true));
    }

    @Test
    void emptyContentIsSentOnceInTheFirstDeltaAndNullContentNotAtAll() {
        String base = "{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":%s}]}";
        ChatResponse empty = ChatResponse.parse(String.format(base, "{\"content\":\"\",\"reasoning_content\":\"\"}"));
        ChatResponse none = ChatResponse.parse(String.format(base, "{\"content\":null}"));

        List<JsonNode> emptyChunks = chunks(WHOLE, empty, false);
        List<JsonNode> noneChunks = chunks(WHOLE, none, false);

        assertThat(emptyChunks).hasSize(2);
        assertThat(emptyChunks.get(0).get("choices").get(0).get("delta"))
                .isEqualTo(json("{\"role\":\"assistant\",\"reasoning_content\":\"\",\"content\":\"\"}"));
        assertThat(noneChunks).hasSize(2);
        assertThat(noneChunks.get(0).get("choices").get(0).get("delta")).isEqualTo(json("{\"role\":\"assistant\"}"));
        assertThat(RoundTrip.accumulate(WHOLE.toBytes(empty, false)).choices().get(0).message().content()).isEmpty();
        assertThat(RoundTrip.accumulate(WHOLE.toBytes(none, false)).choices().get(0).message().content()).isNull();
    }

    @Test
    void toolCallWithEmptyArgumentsHasOnlyItsFirstDelta() {
        ChatResponse response = ChatResponse.parse("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"message\":"
                + "{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"now\",\"arguments\":\"\"}}]}}]}");

        List<JsonNode> chunks = chunks(new StreamSynthesizer(ChunkingPolicy.byCodePoints(1)), response, false);

        assertThat(chunks).hasSize(3);
        assertThat(chunks.get(2).get("choices").get(0).get("finish_reason").textValue()).isEqualTo("tool_calls");
    }

    @Test
    void generatedToolCallIdIsStreamedAndAccumulatedUnchanged() {
        ChatResponse response = ChatResponse.parse("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"message\":"
                + "{\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}");
        String id = response.choices().get(0).message().toolCalls().get(0).id();

        ChatResponse back = RoundTrip.accumulate(WHOLE.toBytes(response, false));

        assertThat(id).matches("call_[A-Za-z0-9]{24}");
        assertThat(back.choices().get(0).message().toolCalls().get(0).id()).isEqualTo(id);
    }

    @Test
    void streamIsUtf8WithoutCarriageReturnsEvenForTextWithLineBreaks() {
        ChatResponse response = ChatResponse.parse("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"message\":"
                + "{\"content\":\"line\\r\\nbreaks\\u2028and\\u0085more\\n\"}}],\"timings\":{\"s\":\"a\\nb\"}}");

        byte[] stream = new StreamSynthesizer(ChunkingPolicy.byCodePoints(4)).toBytes(response, false);

        assertThat(new String(stream, StandardCharsets.UTF_8)).doesNotContain("\r");
        assertThat(StreamContract.violations(stream, false)).isEmpty();
        assertThat(RoundTrip.accumulate(stream).choices().get(0).message().content())
                .isEqualTo("line\r\nbreaks\u2028and\u0085more\n");
    }

    @Test
    void loneSurrogatesAnywhereInTheResponseAreStreamedAsEscapes() {
        // Valid JSON: an escaped half of a surrogate pair, as a server that cuts UTF-16 text may send.
        String json = "{\"id\":\"c\\ud83d\",\"created\":1,\"model\":\"m\\udc4b\",\"system_fingerprint\":\"\\ud800\","
                + "\"choices\":[{\"index\":0,\"message\":{\"content\":\"a\\ud83d\",\"x\":\"\\ud83d\","
                + "\"tool_calls\":[{\"id\":\"k\",\"function\":{\"name\":\"f\\udc00\",\"arguments\":\"\\ud800\"}}]},"
                + "\"logprobs\":{\"content\":[{\"token\":\"\\ud83d\",\"logprob\":-1}]}}],"
                + "\"usage\":{\"note\":\"\\udfff\"},\"timings\":{\"x\":\"\\ud83d\\ude00 \\ud83d\"}}";
        ChatResponse response = ChatResponse.parse(json);

        for (boolean includeUsage : new boolean[] {false, true}) {
            byte[] stream = new StreamSynthesizer(ChunkingPolicy.byCodePoints(1)).toBytes(response, includeUsage);

            assertThat(StreamContract.violations(stream, includeUsage)).isEmpty();
            assertThat(RoundTrip.accumulate(stream)).isEqualTo(RoundTrip.expected(response, includeUsage));
            assertThat(RoundTrip.accumulate(WHOLE.synthesize(response, includeUsage)))
                    .isEqualTo(RoundTrip.expected(response, includeUsage));
        }
        assertThat(response.extras().get("timings").json()).isEqualTo("{\"x\":\"\uD83D\uDE00 \uD83D\"}");
    }

    @Test
    void escapingLoneSurrogatesLeavesPairsAndOtherTextAlone() {
        assertThat(Json.escapeLoneSurrogates("{\"a\":\"x😀y\"}")).isEqualTo("{\"a\":\"x😀y\"}");
        assertThat(Json.escapeLoneSurrogates("\"\uD83D\"")).isEqualTo("\"\\uD83D\"");
        assertThat(Json.escapeLoneSurrogates("\"\uDE00\uD83D\"")).isEqualTo("\"\\uDE00\\uD83D\"");
        assertThat(Json.escapeLoneSurrogates("\"😀\uD83D😀\"")).isEqualTo("\"😀\\uD83D😀\"");
        String plain = "{\"plain\":1}";
        assertThat(Json.escapeLoneSurrogates(plain)).isSameAs(plain);
    }

    @Test
    void numbersInFieldsCarriedAsTheyAreKeepTheirValueAndType() throws IOException {
        String numbers = "{\"big\":1e400,\"long_decimal\":0.10000000000000000000001,\"trailing_zero\":2.50,"
                + "\"double\":29.619975711619915,\"huge_int\":12345678901234567890123,\"int\":-7}";
        ChatResponse response = ChatResponse.parse("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"message\":"
                + "{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":{\"x\":1.50,\"y\":1e400}}}]},"
                + "\"logprobs\":{\"p\":-0.000000000000000000001}}],\"timings\":" + numbers + "}");
        ObjectMapper exact = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();

        assertThat(exact.readTree(response.extras().get("timings").json())).isEqualTo(exact.readTree(numbers));
        assertThat(response.extras().get("timings").json()).doesNotContain("Infinity");
        assertThat(response.choices().get(0).message().toolCalls().get(0).arguments()).isEqualTo("{\"x\":1.50,\"y\":1E+400}");
        assertThat(response.choices().get(0).logprobs().json()).isEqualTo("{\"p\":-1E-21}");
        byte[] stream = WHOLE.toBytes(response, false);
        List<SseChunk> events = SseParser.parseAll(stream);
        JsonNode last = exact.readTree(((SseChunk.Data) events.get(events.size() - 2)).data());
        assertThat(last.get("timings")).isEqualTo(exact.readTree(numbers));
        assertThat(RoundTrip.accumulate(stream)).isEqualTo(RoundTrip.expected(response, false));
    }

    @Test
    void floatsCarriedAsTheyAreAreWrittenAsTheirBigDecimalText() {
        for (String number : List.of("6.196333333333333", "-161.38576577545862", "0.05", "-0.000001", "0.0000001",
                "0.00000012", "-0.0", "0.000", "0.0000000", "1.50", "10.0", "1e400", "1.5E-3", "-2.0e+2", "0.10000000000000000000001")) {
            ChatResponse response = ChatResponse.parse("{\"choices\":[{\"message\":{}}],\"timings\":{\"x\":" + number + "}}");

            assertThat(response.extras().get("timings").json()).as(number)
                    .isEqualTo("{\"x\":" + new java.math.BigDecimal(number) + "}");
        }
    }

    @Test
    void writeToLeavesTheOutputStreamOpen() throws IOException {
        boolean[] closed = {false};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FilterOutputStream out = new FilterOutputStream(bytes) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };

        WHOLE.writeTo(ChatResponse.parse(EXTRAS_RESPONSE), false, out);

        assertThat(closed[0]).isFalse();
        assertThat(bytes.toByteArray()).isEqualTo(WHOLE.toBytes(ChatResponse.parse(EXTRAS_RESPONSE), false));
    }

    @Test
    void synthesizedEventListIsUnmodifiable() {
        List<SseChunk> events = WHOLE.synthesize(ChatResponse.parse(EXTRAS_RESPONSE), false);

        assertThatThrownBy(() -> events.add(SseChunk.DONE)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void synthesizerRejectsANullPolicy() {
        assertThatThrownBy(() -> new StreamSynthesizer(null)).isInstanceOf(NullPointerException.class).hasMessage("policy");
    }

    @Test
    void programmaticResponsesStreamToo() {
        ChatResponse response = new ChatResponse("chatcmpl-p", 3, "m", null,
                List.of(new Choice(0,
                        new Message("assistant", "hi", null,
                                List.of(ToolCall.function(0, "call_x", "f", "{\"a\":1}")), Map.of()),
                        null, null, Map.of())),
                new RawJson("{\"total_tokens\":1}"), Map.of("timings", new RawJson("{}")));
        StreamSynthesizer synthesizer = new StreamSynthesizer(ChunkingPolicy.byCodePoints(2));

        byte[] stream = synthesizer.toBytes(response, true);

        assertThat(StreamContract.violations(stream, true)).isEmpty();
        assertThat(RoundTrip.accumulate(stream)).isEqualTo(RoundTrip.expected(response, true));
    }
}
