package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.core.testing.BrokenStream;
import dev.llamashim.core.testing.BrokenStream.Call;
import dev.llamashim.core.testing.BrokenStream.Defect;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The repairer on hand-made broken streams: each defect alone, all together, and the details. */
class StreamRepairerTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static Call call(String name, String location) {
        ObjectNode arguments = NODES.objectNode().put("location", location).put("unit", "celsius");
        arguments.putObject("nested").put("n", 1.50).putArray("a").add(1).add("😀");
        return new Call(name, arguments);
    }

    static Stream<Arguments> defects() {
        List<Arguments> cases = new ArrayList<>();
        List<Set<Defect>> sets = new ArrayList<>();
        for (Defect defect : Defect.values()) {
            sets.add(EnumSet.of(defect));
        }
        sets.add(EnumSet.allOf(Defect.class));
        sets.add(EnumSet.noneOf(Defect.class));
        for (Set<Defect> set : sets) {
            for (boolean crlf : new boolean[] {false, true}) {
                for (boolean includeUsage : new boolean[] {false, true}) {
                    cases.add(Arguments.of(set, crlf, includeUsage));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, CRLF {1}, include_usage {2}")
    @MethodSource("defects")
    void brokenToolCallStreamIsRepairedToTheIntendedMessage(Set<Defect> defects, boolean crlf, boolean includeUsage) {
        BrokenStream broken = new BrokenStream(
                null, List.of(call("get_weather", "Zürich"), call("get_time", "東京")), includeUsage, defects, crlf, 5);
        Random random = new Random(defects.hashCode() * 31L + (crlf ? 1 : 0));

        assertRepaired(broken, StreamRepairer.repair(broken.bytes(), includeUsage));
        for (int run = 0; run < 10; run++) {
            assertRepaired(broken, StreamRepairerFixtureTest.repairInPieces(broken.bytes(), includeUsage, random));
        }
    }

    @ParameterizedTest(name = "{0}, CRLF {1}, include_usage {2}")
    @MethodSource("defects")
    void brokenContentStreamIsRepairedToTheIntendedMessage(Set<Defect> defects, boolean crlf, boolean includeUsage) {
        BrokenStream broken = new BrokenStream("Hello, wörld 😀!", List.of(), includeUsage, defects, crlf, 3);
        Random random = new Random(defects.hashCode() * 17L + (crlf ? 1 : 0));

        assertRepaired(broken, StreamRepairer.repair(broken.bytes(), includeUsage));
        for (int run = 0; run < 10; run++) {
            assertRepaired(broken, StreamRepairerFixtureTest.repairInPieces(broken.bytes(), includeUsage, random));
        }
    }

    @Test
    void repeatedNameIsSentOnlyInTheCallsFirstDelta() {
        BrokenStream broken = new BrokenStream(
                null, List.of(call("get_weather", "Oslo")), false, EnumSet.of(Defect.REPEATED_NAME), false, 2);

        String repaired = new String(StreamRepairer.repair(broken.bytes(), false), StandardCharsets.UTF_8);

        assertThat(repaired.split("get_weather", -1)).hasSize(2);
        assertThat(RoundTrip.accumulate(repaired.getBytes(StandardCharsets.UTF_8))
                        .choices().get(0).message().toolCalls().get(0).name())
                .isEqualTo("get_weather");
    }

    @Test
    void objectArgumentsBecomeTheirCompactJsonText() {
        String stream = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":{ \"x\" : [1, 2.50, 1e400], \"y\": \"ü\" }}}]},\"finish_reason\":null}]}\n\n";

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        ToolCall call = RoundTrip.accumulate(repaired).choices().get(0).message().toolCalls().get(0);
        assertThat(call.arguments()).isEqualTo("{\"x\":[1,2.50,1E+400],\"y\":\"ü\"}");
    }

    @Test
    void aFreshIdUnderAnIndexAlreadyUsedOpensTheNextCall() {
        // Some servers number every call 0; the new id says it is another call.
        String stream = chunk("{\"role\":\"assistant\"}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"A\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"B\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{\"}}]}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"}\"}}]}");

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        List<ToolCall> calls = RoundTrip.accumulate(repaired).choices().get(0).message().toolCalls();
        assertThat(calls).extracting(ToolCall::index).containsExactly(0, 1);
        assertThat(calls).extracting(ToolCall::id).containsExactly("A", "B");
        assertThat(calls).extracting(ToolCall::arguments).containsExactly("{}", "{}");
        assertThat(RoundTrip.accumulate(repaired).choices().get(0).finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void anIndexFirstNamedInALaterDeltaContinuesTheCallOpenedWithoutOne() {
        String stream = chunk("{\"role\":\"assistant\"}")
                + chunk("{\"tool_calls\":[{\"id\":\"A\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"}\"}}]}")
                + chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"B\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}");

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        List<ToolCall> calls = RoundTrip.accumulate(repaired).choices().get(0).message().toolCalls();
        assertThat(calls).extracting(ToolCall::id).containsExactly("A", "B");
        assertThat(calls).extracting(ToolCall::arguments).containsExactly("{}", "{}");
    }

    @Test
    void anIdUsedByAnotherChoiceIsReplacedSoNoIdIsSentTwice() {
        String call = "{\"tool_calls\":[{\"index\":0,\"id\":\"same\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}";
        String stream = chunk(0, "{\"role\":\"assistant\"}") + chunk(1, "{\"role\":\"assistant\"}")
                + chunk(0, call) + chunk(1, call) + "data: [DONE]\n\n";

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        ChatResponse response = RoundTrip.accumulate(repaired);
        assertThat(response.choices().get(0).message().toolCalls().get(0).id()).isEqualTo("same");
        assertThat(response.choices().get(1).message().toolCalls().get(0).id()).matches("call_[A-Za-z0-9]{24}");
    }

    @Test
    void finishChunksOfSeveralChoicesComeAfterAllDeltas() {
        String stream = chunk(0, "{\"role\":\"assistant\",\"content\":\"a\"}")
                + finish(0, "stop")
                + chunk(1, "{\"role\":\"assistant\",\"content\":\"b\"}")
                + finish(1, "length")
                + "data: [DONE]\n\n";

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        String text = new String(repaired, StandardCharsets.UTF_8);
        assertThat(text.indexOf("\"content\":\"b\"")).isLessThan(text.indexOf("\"finish_reason\":\"stop\""));
        ChatResponse response = RoundTrip.accumulate(repaired);
        assertThat(response.choices()).extracting(Choice::finishReason).containsExactly("stop", "length");
    }

    @Test
    void textSentWithAFinishReasonInAChunkOfSeveralChoicesGoesOutBeforeTheFinish() {
        String stream = chunk(0, "{\"role\":\"assistant\"}") + chunk(1, "{\"role\":\"assistant\"}")
                + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":["
                + "{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null},"
                + "{\"index\":1,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"length\"}],\"timings\":{\"n\":2}}\n\n"
                + finish(0, "stop");

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        ChatResponse response = RoundTrip.accumulate(repaired);
        assertThat(response.choices()).extracting(c -> c.message().content()).containsExactly("a", "b");
        assertThat(response.choices()).extracting(Choice::finishReason).containsExactly("stop", "length");
        assertThat(response.extras()).containsEntry("timings", new RawJson("{\"n\":2}"));
    }

    @Test
    void heldFirstDeltaGoesOutBeforeAnErrorEvent() {
        String error = "data: {\"error\":{\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
        String stream = chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}") + error;

        String repaired = new String(StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false), StandardCharsets.UTF_8);

        assertThat(repaired).isEqualTo(chunk("{\"role\":\"assistant\",\"refusal\":null}") + error);
    }

    @Test
    void choiceSentOnlyAsAFinishChunkGetsItsRoleFirst() {
        byte[] repaired = StreamRepairer.repair(finish(0, "stop").getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        assertThat(RoundTrip.accumulate(repaired).choices().get(0).message().role()).isEqualTo("assistant");
    }

    @Test
    void emptyContentOfAMessageWithoutTextIsKept() {
        String stream = chunk("{\"role\":\"assistant\",\"content\":\"\"}") + finish(0, "stop") + "data: [DONE]\n\n";

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        assertThat(new String(repaired, StandardCharsets.UTF_8)).isEqualTo(stream);
    }

    @Test
    void emptyContentBeforeReasoningIsSentOnlyWhenNoContentFollows() {
        String reasoningThenCalls = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
                + chunk("{\"reasoning_content\":\"hm\"}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"A\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}");
        String reasoningThenContent = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
                + chunk("{\"reasoning_content\":\"hm\"}")
                + chunk("{\"content\":\"ok\"}");

        byte[] first = StreamRepairer.repair(reasoningThenCalls.getBytes(StandardCharsets.UTF_8), false);
        byte[] second = StreamRepairer.repair(reasoningThenContent.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(first, false);
        StreamContract.assertConforms(second, false);
        assertThat(RoundTrip.accumulate(first).choices().get(0).message().content()).isEqualTo("");
        assertThat(RoundTrip.accumulate(second).choices().get(0).message().content()).isEqualTo("ok");
    }

    @Test
    void eachChunkIsWrittenAsSoonAsItArrivesOneWholeEventPerSinkCall() {
        List<String> events = new ArrayList<>();
        StreamRepairer repairer = new StreamRepairer(false, bytes -> events.add(new String(bytes, StandardCharsets.UTF_8)));
        String role = chunk("{\"role\":\"assistant\",\"content\":null}");
        String piece = chunk("{\"content\":\"Hi\"}");

        feed(repairer, role);
        assertThat(events).containsExactly(role);
        feed(repairer, piece.substring(0, 20));
        assertThat(events).hasSize(1);
        feed(repairer, piece.substring(20));
        assertThat(events).containsExactly(role, piece);
        feed(repairer, ": keep-alive\n\n");
        assertThat(events).containsExactly(role, piece, ": keep-alive\n\n");
        feed(repairer, finish(0, "stop"));
        assertThat(events).hasSize(3); // the finish chunk waits for the end of the stream
        repairer.finish();
        assertThat(events).containsExactly(role, piece, ": keep-alive\n\n", finish(0, "stop"), "data: [DONE]\n\n");
    }

    @Test
    void usageChunkTheClientDidNotAskForIsDroppedButItsOtherFieldsAreKept() {
        String stream = chunk("{\"role\":\"assistant\",\"content\":\"a\"}") + finish(0, "stop")
                + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
                + "\"usage\":{\"total_tokens\":3},\"timings\":{\"n\":1}}\n\n"
                + "data: [DONE]\n\n";

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        StreamContract.assertConforms(repaired, false);
        ChatResponse response = RoundTrip.accumulate(repaired);
        assertThat(response.usage()).isNull();
        assertThat(response.extras()).containsEntry("timings", new RawJson("{\"n\":1}"));
    }

    @Test
    void unknownFieldsPassThroughWhereTheyCame() throws IOException {
        String stream = "data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"x_top\":{\"a\":[1.50]},\"choices\":[{\"index\":0,"
                + "\"x_choice\":true,\"delta\":{\"role\":\"assistant\",\"x_delta\":1,\"tool_calls\":[{\"x_call\":2,"
                + "\"function\":{\"name\":\"f\",\"x_fn\":3}}]},\"finish_reason\":null}]}\n\n";

        byte[] repaired = StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), false);

        JsonNode first = MAPPER.readTree(((SseChunk.Data) SseParser.parseAll(repaired).get(0)).data());
        assertThat(new String(repaired, StandardCharsets.UTF_8)).contains("\"x_top\":{\"a\":[1.50]}");
        assertThat(first.at("/choices/0/x_choice").asBoolean()).isTrue();
        assertThat(first.at("/choices/0/delta/x_delta").asInt()).isEqualTo(1);
        assertThat(first.at("/choices/0/delta/tool_calls/0/x_call").asInt()).isEqualTo(2);
        assertThat(first.at("/choices/0/delta/tool_calls/0/function/x_fn").asInt()).isEqualTo(3);
        assertThat(first.at("/choices/0/delta/tool_calls/0/function/arguments").asText()).isEmpty();
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
    }

    @Test
    void notJsonIsRefusedWithTheEventNumber() {
        byte[] stream = (chunk("{\"role\":\"assistant\"}") + "data: {oops\n\n").getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> StreamRepairer.repair(stream, false))
                .isInstanceOf(ShimException.class)
                .hasMessageStartingWith("event stream: event 2 is not valid JSON");
    }

    @Test
    void emptyUpstreamGivesOnlyDone() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamRepairer repairer = new StreamRepairer(true, out::writeBytes);
        repairer.finish();
        repairer.finish();

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
    }

    // -------------------------------------------------------------------------------------------

    /** Checks that {@code repaired} conforms and accumulates to the message {@code broken} intended. */
    static void assertRepaired(BrokenStream broken, byte[] repaired) {
        StreamContract.assertConforms(repaired, broken.includeUsage());
        ChatResponse response = RoundTrip.accumulate(repaired);
        assertThat(response.id()).isEqualTo("chatcmpl-broken");
        assertThat(response.created()).isEqualTo(1_700_000_000L);
        assertThat(response.model()).isEqualTo("tiny");
        assertThat(response.systemFingerprint()).isEqualTo("b1-test");
        assertThat(response.usage()).isEqualTo(broken.includeUsage() ? new RawJson(BrokenStream.USAGE) : null);
        if (broken.includeUsage() || broken.defects().contains(Defect.USAGE_ON_FINISH_CHUNK)) {
            assertThat(response.extras()).containsExactlyEntriesOf(java.util.Map.of("timings", new RawJson("{\"predicted_n\":7}")));
        } else {
            assertThat(response.extras()).isEmpty();
        }
        assertThat(response.choices()).hasSize(1);
        Choice choice = response.choices().get(0);
        assertThat(choice.index()).isZero();
        assertThat(choice.finishReason()).isEqualTo(broken.finishReason());
        assertThat(choice.message().role()).isEqualTo("assistant");
        assertThat(choice.message().content()).isEqualTo(broken.expectedContent());
        assertThat(choice.message().reasoningContent()).isNull();
        List<ToolCall> calls = choice.message().toolCalls();
        assertThat(calls).hasSize(broken.calls().size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            assertThat(call.index()).isEqualTo(i);
            assertThat(call.type()).isEqualTo("function");
            assertThat(call.name()).isEqualTo(broken.calls().get(i).name());
            assertThat(call.arguments()).isEqualTo(broken.calls().get(i).argumentsText());
            if (broken.sendsId(i)) {
                assertThat(call.id()).isEqualTo(BrokenStream.upstreamId(i));
            } else {
                assertThat(call.id()).matches("call_[A-Za-z0-9]{24}");
            }
            assertThat(ids.add(call.id())).as("ids are unique: %s", call.id()).isTrue();
        }
    }

    private static void feed(StreamRepairer repairer, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        repairer.feed(bytes, 0, bytes.length);
    }

    private static String chunk(String delta) {
        return chunk(0, delta);
    }

    private static String chunk(int choice, String delta) {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":"
                + choice + ",\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
    }

    private static String finish(int choice, String reason) {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":"
                + choice + ",\"delta\":{},\"finish_reason\":\"" + reason + "\"}]}\n\n";
    }
}
