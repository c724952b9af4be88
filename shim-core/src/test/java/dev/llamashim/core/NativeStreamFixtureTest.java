package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SSE reader and the accumulator on llama-server's own streams: they are the inverse of the
 * synthesizer, so they must read what a real server sends.
 */
class NativeStreamFixtureTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static List<Fixture> nativeStreams() {
        return Fixture.all().stream().filter(Fixture::isNativeStream).toList();
    }

    static List<Fixture> completeNativeStreams() {
        // The new build's invalid-UTF-8 stream breaks off with an error event instead.
        return nativeStreams().stream()
                .filter(f -> !f.name().equals("new/content-native-stream-invalid-utf8"))
                .toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completeNativeStreams")
    void nativeStreamParsesIntoDataEventsEndingWithDone(Fixture fixture) {
        List<SseChunk> events = SseParser.parseAll(fixture.body());

        assertThat(events).hasSizeGreaterThan(2);
        assertThat(events.get(events.size() - 1)).isEqualTo(SseChunk.DONE);
        assertThat(events.subList(0, events.size() - 1)).allSatisfy(event -> {
            assertThat(event).isInstanceOf(SseChunk.Data.class);
            assertThat(((SseChunk.Data) event).data()).startsWith("{\"choices\":[").doesNotContain("\n");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completeNativeStreams")
    void nativeStreamAccumulatesToOneFinishedAssistantChoice(Fixture fixture) throws IOException {
        List<SseChunk> events = SseParser.parseAll(fixture.body());
        StreamAccumulator accumulator = new StreamAccumulator();
        events.forEach(accumulator::accept);

        ChatResponse response = accumulator.toResponse();

        assertThat(accumulator.isDone()).isTrue();
        assertThat(accumulator.chunkCount()).isEqualTo(events.size() - 1);
        assertThat(response.id()).startsWith("chatcmpl-");
        assertThat(response.model()).isIn("tiny", "tiny.gguf");
        assertThat(response.systemFingerprint()).isEqualTo("b0-unknown");
        assertThat(response.extras()).containsKey("timings");
        assertThat(response.choices()).singleElement().satisfies(choice -> {
            assertThat(choice.index()).isZero();
            assertThat(choice.finishReason()).isIn("stop", "length", "tool_calls");
            assertThat(choice.message().role()).isEqualTo("assistant");
            assertThat(choice.message().content() != null || !choice.message().toolCalls().isEmpty()).isTrue();
        });
        for (ToolCall call : response.choices().get(0).message().toolCalls()) {
            assertThat(call.id()).isNotEmpty();
            assertThat(call.type()).isEqualTo("function");
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(MAPPER.readTree(call.arguments()).isObject()).as(call.arguments()).isTrue();
        }
    }

    @Test
    void nativeToolCallStreamAccumulatesToOneGetWeatherCall() throws IOException {
        ChatResponse response = RoundTrip.accumulate(Fixture.load("new", "tool-call-native-stream").body());

        Choice choice = response.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().content()).isNull();
        assertThat(choice.message().toolCalls()).singleElement().satisfies(call -> {
            assertThat(call.index()).isZero();
            assertThat(call.id()).isEqualTo("WWbdJ0SsZtCTrTn9v9jufF1dySWEooWG");
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(call.arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        });
        JsonNode arguments = MAPPER.readTree(choice.message().toolCalls().get(0).arguments());
        assertThat(arguments.isObject()).isTrue();
        assertThat(arguments.get("location").textValue()).isEqualTo("London");
        // Without include_usage the new build puts timings, not usage, on its finish chunk.
        assertThat(response.usage()).isNull();
        assertThat(response.extras()).containsOnlyKeys("timings");
    }

    @Test
    void nativeParallelStreamAccumulatesThreeCallsCutOffByLength() {
        ChatResponse response =
                RoundTrip.accumulate(Fixture.load("new", "parallel-tool-calls-multi-native-stream").body());

        Choice choice = response.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo("length");
        assertThat(choice.message().toolCalls()).hasSize(3);
        assertThat(choice.message().toolCalls()).extracting(ToolCall::index).containsExactly(0, 1, 2);
        assertThat(choice.message().toolCalls()).extracting(ToolCall::name).containsOnly("get_weather");
        assertThat(choice.message().toolCalls()).extracting(ToolCall::id).doesNotHaveDuplicates();
        assertThat(response.usage()).isNotNull();
    }

    @Test
    void inStreamErrorMakesTheAccumulatorThrowWithTheServersMessage() {
        Fixture fixture = Fixture.load("new", "content-native-stream-invalid-utf8");
        List<SseChunk> events = SseParser.parseAll(fixture.body());
        StreamAccumulator accumulator = new StreamAccumulator();

        assertThat(events.get(events.size() - 1)).isNotEqualTo(SseChunk.DONE);
        assertThatThrownBy(() -> events.forEach(accumulator::accept))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 14: the stream carried an error: "
                        + "The model produced output that does not match the expected peg-native format");
        assertThat(accumulator.isDone()).isFalse();
        assertThat(accumulator.chunkCount()).isEqualTo(14);
    }

    @Test
    void oldBuildReturnsTheReplacementCharacterItSent() {
        ChatResponse response = RoundTrip.accumulate(Fixture.load("old", "content-native-stream-invalid-utf8").body());

        assertThat(response.choices().get(0).message().content()).contains("\uFFFD");
    }

    /**
     * With temperature 0 and a fixed seed the server generated the same message streamed and not
     * streamed, so the accumulator can be checked against the server's own complete answer.
     */
    @ParameterizedTest(name = "{0}/{1} = {0}/{2}")
    @CsvSource({
        "new, content-native-stream, content-nonstream",
        "new, content-native-stream-no-usage, content-nonstream",
        "new, finish-length-stream, finish-length-nonstream",
        "new, reasoning-native-stream, reasoning-nonstream",
        "new, tool-call-native-stream, tool-call-nonstream",
        "new, tool-call-native-stream-usage, tool-call-nonstream",
        "new, parallel-tool-calls-native-stream, parallel-tool-calls-nonstream",
        "new, parallel-tool-calls-multi-native-stream, parallel-tool-calls-multi-nonstream",
        "old, content-native-stream, content-nonstream",
        "old, content-native-stream-no-usage, content-nonstream",
        "old, finish-length-stream, finish-length-nonstream",
        "old, reasoning-native-stream, reasoning-nonstream",
    })
    void nativeStreamAccumulatesToTheMessageTheServerSentWhole(String build, String stream, String whole) {
        ChatResponse streamed = RoundTrip.accumulate(Fixture.load(build, stream).body());
        ChatResponse complete = ChatResponse.parse(Fixture.load(build, whole).body());

        Choice got = streamed.choices().get(0);
        Choice want = complete.choices().get(0);
        assertThat(got.finishReason()).isEqualTo(want.finishReason());
        // The new build streams "content":null before tool calls but answers "content":"" whole.
        assertThat(Objects.toString(got.message().content(), ""))
                .isEqualTo(Objects.toString(want.message().content(), ""));
        assertThat(got.message().reasoningContent()).isEqualTo(want.message().reasoningContent());
        assertThat(got.message().toolCalls()).extracting(ToolCall::name)
                .containsExactlyElementsOf(want.message().toolCalls().stream().map(ToolCall::name).toList());
        assertThat(got.message().toolCalls()).extracting(ToolCall::arguments)
                .containsExactlyElementsOf(want.message().toolCalls().stream().map(ToolCall::arguments).toList());
    }

    @Test
    void newBuildsToolCallStreamsMeetTheContractExceptForCreated() {
        // The server stamps the first chunk one second earlier than the rest when generation
        // crosses a second boundary; the README's "created is the same in every chunk" does not hold.
        assertThat(StreamContract.violations(Fixture.load("new", "tool-call-native-stream").body(), false))
                .containsExactly("event 2: \"created\" is 1795796154, but event 1 had 1795796153");
        assertThat(StreamContract.violations(Fixture.load("new", "tool-call-native-stream-usage").body(), true))
                .isEmpty();
        assertThat(StreamContract.violations(Fixture.load("new", "parallel-tool-calls-multi-native-stream").body(), true))
                .isEmpty();
    }

    @Test
    void oldBuildsStreamsBreakTheUsageAndEmptyContentRules() {
        assertThat(StreamContract.violations(Fixture.load("old", "content-native-stream").body(), true))
                .containsExactly(
                        "event 14: carries \"usage\" outside the usage chunk",
                        "event 1: sends an empty content piece, but its content is not empty",
                        "no usage chunk (\"choices\":[] with \"usage\"), though include_usage was requested");
    }

    @Test
    void inStreamErrorBreaksTheContract() {
        assertThat(StreamContract.violations(Fixture.load("new", "content-native-stream-invalid-utf8").body(), true))
                .containsExactly(
                        "the stream does not end with data: [DONE]",
                        "event 15: is an error event: "
                                + "The model produced output that does not match the expected peg-native format",
                        "choice 0 has no finish chunk (an empty delta with a finish_reason)",
                        "no usage chunk (\"choices\":[] with \"usage\"), though include_usage was requested");
    }
}
