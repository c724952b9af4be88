package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The round-trip law (docs/STREAM-CONTRACT.md) on every captured non-streamed chat completion: parse,
 * synthesize under each policy, with and without usage, parse the SSE, accumulate, and get the
 * response back.
 */
class FixtureRoundTripTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final Map<String, ChunkingPolicy> POLICIES = policies();

    private static Map<String, ChunkingPolicy> policies() {
        Map<String, ChunkingPolicy> policies = new LinkedHashMap<>();
        policies.put("byCodePoints(1)", ChunkingPolicy.byCodePoints(1));
        policies.put("byCodePoints(7)", ChunkingPolicy.byCodePoints(7));
        policies.put("defaults()", ChunkingPolicy.defaults());
        policies.put("whole()", ChunkingPolicy.whole());
        return policies;
    }

    static List<Fixture> completions() {
        return Fixture.all().stream().filter(Fixture::isNonStreamedCompletion).toList();
    }

    static Stream<Arguments> completionsAndPolicies() {
        List<Arguments> cases = new ArrayList<>();
        for (Fixture fixture : completions()) {
            for (Map.Entry<String, ChunkingPolicy> policy : POLICIES.entrySet()) {
                for (boolean includeUsage : new boolean[] {true, false}) {
                    cases.add(Arguments.of(fixture, policy.getKey(), policy.getValue(), includeUsage));
                }
            }
        }
        return cases.stream();
    }

    @Test
    void everyNonStreamedCaptureIsCovered() {
        List<String> covered = completions().stream().map(Fixture::name).toList();

        List<String> nonstream200 = Fixture.all().stream()
                .filter(f -> f.scenario().contains("-nonstream") && f.status() == 200)
                .map(Fixture::name)
                .toList();
        assertThat(nonstream200).hasSize(17);
        // The old build also answers two "error" requests with a normal completion.
        assertThat(covered).containsAll(nonstream200)
                .contains("old/error-max-tokens-wrong-type", "old/error-prompt-too-long")
                .hasSize(19);
    }

    @ParameterizedTest(name = "{0} {1} include_usage={3}")
    @MethodSource("completionsAndPolicies")
    void synthesizedStreamAccumulatesBackToTheResponse(
            Fixture fixture, String policyName, ChunkingPolicy policy, boolean includeUsage) {
        ChatResponse response = ChatResponse.parse(fixture.body());

        byte[] stream = new StreamSynthesizer(policy).toBytes(response, includeUsage);

        assertThat(RoundTrip.accumulate(stream)).isEqualTo(RoundTrip.expected(response, includeUsage));
    }

    @ParameterizedTest(name = "{0} {1} include_usage={3}")
    @MethodSource("completionsAndPolicies")
    void synthesizedStreamMeetsTheStreamContract(
            Fixture fixture, String policyName, ChunkingPolicy policy, boolean includeUsage) {
        ChatResponse response = ChatResponse.parse(fixture.body());

        byte[] stream = new StreamSynthesizer(policy).toBytes(response, includeUsage);

        assertThat(StreamContract.violations(stream, includeUsage)).isEmpty();
    }

    /**
     * Checked against the capture's JSON read by plain Jackson, so that a mistake the parser and
     * the accumulator share cannot hide.
     */
    @ParameterizedTest(name = "{0} {1} include_usage={3}")
    @MethodSource("completionsAndPolicies")
    void accumulatedStreamCarriesTheCapturedValuesByteForByte(
            Fixture fixture, String policyName, ChunkingPolicy policy, boolean includeUsage) throws IOException {
        JsonNode captured = MAPPER.readTree(fixture.body());
        ChatResponse response = ChatResponse.parse(fixture.body());

        ChatResponse back = RoundTrip.accumulate(new StreamSynthesizer(policy).toBytes(response, includeUsage));

        assertThat(back.id()).isEqualTo(captured.get("id").textValue());
        assertThat(back.created()).isEqualTo(captured.get("created").longValue());
        assertThat(back.model()).isEqualTo(captured.get("model").textValue());
        assertThat(back.systemFingerprint()).isEqualTo(captured.get("system_fingerprint").textValue());
        assertThat(back.choices()).hasSameSizeAs(captured.get("choices"));
        for (int c = 0; c < back.choices().size(); c++) {
            JsonNode choice = captured.get("choices").get(c);
            JsonNode message = choice.get("message");
            Message got = back.choices().get(c).message();
            assertThat(back.choices().get(c).finishReason()).isEqualTo(choice.get("finish_reason").textValue());
            assertThat(got.content()).isEqualTo(message.path("content").textValue());
            assertThat(got.reasoningContent()).isEqualTo(message.path("reasoning_content").textValue());
            JsonNode calls = message.path("tool_calls");
            assertThat(got.toolCalls()).hasSize(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                ToolCall call = got.toolCalls().get(i);
                assertThat(call.index()).isEqualTo(i);
                assertThat(call.id()).isEqualTo(calls.get(i).get("id").textValue());
                assertThat(call.type()).isEqualTo("function");
                assertThat(call.name()).isEqualTo(calls.get(i).get("function").get("name").textValue());
                assertThat(call.arguments()).isEqualTo(calls.get(i).get("function").get("arguments").textValue());
            }
        }
        assertThat(back.extras()).containsOnlyKeys("timings");
        assertThat(MAPPER.readTree(back.extras().get("timings").json())).isEqualTo(captured.get("timings"));
        if (includeUsage) {
            assertThat(MAPPER.readTree(back.usage().json())).isEqualTo(captured.get("usage"));
        } else {
            assertThat(back.usage()).isNull();
        }
    }

    @ParameterizedTest(name = "{0} {1} include_usage={3}")
    @MethodSource("completionsAndPolicies")
    void eventListRendersTheSameEventsAsTheByteStream(
            Fixture fixture, String policyName, ChunkingPolicy policy, boolean includeUsage) throws IOException {
        ChatResponse response = ChatResponse.parse(fixture.body());
        StreamSynthesizer synthesizer = new StreamSynthesizer(policy);

        List<SseChunk> events = synthesizer.synthesize(response, includeUsage);
        List<SseChunk> parsed = SseParser.parseAll(synthesizer.toBytes(response, includeUsage));

        assertThat(events).hasSameSizeAs(parsed);
        assertThat(events.get(events.size() - 1)).isEqualTo(SseChunk.DONE);
        for (int i = 0; i < events.size() - 1; i++) {
            assertThat(events.get(i)).isInstanceOf(SseChunk.Data.class);
            assertThat(parsed.get(i)).isInstanceOf(SseChunk.Data.class);
            assertThat(MAPPER.readTree(((SseChunk.Data) events.get(i)).data()))
                    .as("event %d", i + 1)
                    .isEqualTo(MAPPER.readTree(((SseChunk.Data) parsed.get(i)).data()));
        }
        assertThat(parsed.get(parsed.size() - 1)).isEqualTo(SseChunk.DONE);
        assertThat(StreamContract.violations(events, includeUsage)).isEmpty();
        assertThat(RoundTrip.accumulate(events)).isEqualTo(RoundTrip.expected(response, includeUsage));
    }

    @ParameterizedTest(name = "{0} {1} include_usage={3}")
    @MethodSource("completionsAndPolicies")
    void writeToWritesExactlyTheBytesOfToBytes(
            Fixture fixture, String policyName, ChunkingPolicy policy, boolean includeUsage) throws IOException {
        ChatResponse response = ChatResponse.parse(fixture.body());
        StreamSynthesizer synthesizer = new StreamSynthesizer(policy);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        synthesizer.writeTo(response, includeUsage, out);

        assertThat(out.toByteArray()).isEqualTo(synthesizer.toBytes(response, includeUsage));
    }
}
