package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The accumulator is the test oracle for the round trip, so its own rules are pinned here. */
class StreamAccumulatorTest {

    private static String chunk(String choices) {
        return "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[" + choices + "]}";
    }

    @Test
    void concatenatesContentReasoningAndArgumentsByIndex() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"reasoning_content\":\"th\"}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"reasoning_content\":\"ink\",\"content\":\"He\"}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"content\":\"llo\"}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"type\":\"function\","
                + "\"function\":{\"name\":\"g\",\"arguments\":\"[\"}}]}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"]\"}},"
                + "{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}"));

        Message message = accumulator.toResponse().choices().get(0).message();

        assertThat(message.reasoningContent()).isEqualTo("think");
        assertThat(message.content()).isEqualTo("Hello");
        assertThat(message.toolCalls()).containsExactly(
                ToolCall.function(0, "a", "f", "{}"), ToolCall.function(1, "b", "g", "[]"));
        assertThat(accumulator.toResponse().choices().get(0).finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void repeatedNamesAreConcatenatedAsTheSdksDo() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\"}}]}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"z\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"}\"}}]}}"));

        ToolCall call = accumulator.toResponse().choices().get(0).message().toolCalls().get(0);

        assertThat(call.name()).isEqualTo("get_weatherget_weather");
        assertThat(call.id()).as("the first id wins").isEqualTo("a");
        assertThat(call.arguments()).isEqualTo("{}");
    }

    @Test
    void choicesAreKeptApartByIndex() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson(chunk("{\"index\":1,\"delta\":{\"content\":\"b\"}},{\"index\":0,\"delta\":{\"content\":\"a\"}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"content\":\"A\"},\"finish_reason\":\"stop\"}"));

        ChatResponse response = accumulator.toResponse();

        assertThat(response.choices()).extracting(c -> c.message().content()).containsExactly("aA", "b");
        assertThat(response.choices()).extracting(Choice::finishReason).containsExactly("stop", null);
    }

    @Test
    void inStreamErrorThrowsWithTheServersMessage() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"content\":\"a\"}}"));

        assertThatThrownBy(() -> accumulator.acceptJson("{\"error\":{\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}}"))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 1: the stream carried an error: boom");
        assertThatThrownBy(() -> accumulator.acceptJson("{\"error\":\"plain\"}"))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 1: the stream carried an error: \"plain\"");
    }

    @Test
    void aNullErrorFieldIsNoErrorButAnExtra() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}")
                .replaceFirst("\\{", "{\"error\":null,"));

        assertThat(accumulator.toResponse().extras()).containsEntry("error", new RawJson("null"));
        assertThat(accumulator.toResponse().choices().get(0).message().content()).isEqualTo("a");
    }

    @Test
    void rejectsChunksThatAreNotObjects() {
        assertThatThrownBy(() -> new StreamAccumulator().acceptJson("[1]"))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 0: expected an object");
        assertThatThrownBy(() -> new StreamAccumulator().acceptJson("{\"choices\":"))
                .isInstanceOf(ShimException.class)
                .hasMessageStartingWith("chunk 0 is not valid JSON at line 1");
        assertThatThrownBy(() -> new StreamAccumulator().acceptJson(chunk("{\"delta\":{}}")))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 0.choices[0]: missing \"index\"");
        assertThatThrownBy(() -> new StreamAccumulator().acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{}}]}}")))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 0.choices[0].delta.tool_calls[0]: missing \"index\"");
    }

    @Test
    void rejectsChoicesAndToolCallsThatAreNotArraysWithAShimException() {
        assertThatThrownBy(() -> new StreamAccumulator().acceptJson("{\"id\":\"c\",\"choices\":{\"index\":0}}"))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 0: \"choices\" is not an array");
        assertThatThrownBy(() -> new StreamAccumulator().acceptJson(chunk("{\"index\":0,\"delta\":{\"tool_calls\":{\"index\":0}}}")))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk 0.choices[0].delta: \"tool_calls\" is not an array");
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson("{\"id\":\"c\",\"choices\":null}");
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"content\":\"a\",\"tool_calls\":null}}"));
        assertThat(accumulator.toResponse().choices().get(0).message().content()).isEqualTo("a");
    }

    @Test
    void toResponseWithoutAnyChunkThrows() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.accept(SseChunk.comment("ping"));
        accumulator.accept(SseChunk.DONE);

        assertThat(accumulator.isDone()).isTrue();
        assertThat(accumulator.chunkCount()).isZero();
        assertThatThrownBy(accumulator::toResponse)
                .isInstanceOf(ShimException.class)
                .hasMessage("event stream: no chat.completion.chunk to accumulate");
    }

    @Test
    void usageAndTopLevelExtrasAreTakenFromTheChunksThatCarryThem() {
        StreamAccumulator accumulator = new StreamAccumulator();
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\"}}"));
        accumulator.acceptJson(chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}").replace("]}", "],\"timings\":{\"n\":1}}"));
        accumulator.acceptJson("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
                + "\"usage\":{\"total_tokens\":2},\"timings\":{\"n\":2}}");

        ChatResponse response = accumulator.toResponse();

        assertThat(response.usage()).isEqualTo(new RawJson("{\"total_tokens\":2}"));
        assertThat(response.extras()).containsExactly(java.util.Map.entry("timings", new RawJson("{\"n\":2}")));
        assertThat(response.id()).isEqualTo("c");
        assertThat(response.created()).isEqualTo(1);
        assertThat(response.model()).isEqualTo("m");
    }
}
