package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The repairer for a request that declared tools: text extraction does not delay text without
 * markers, content duplicating the calls goes wherever it comes, the forced-function rule, and
 * what {@link StreamRepairer#report()} says.
 */
class StreamRepairerWithToolsTest {

    private static final DeclaredTools TOOLS = DeclaredTools.fromRequest(("{\"tools\":[{\"type\":\"function\",\"function\":"
            + "{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}}}}}]}")
            .getBytes(StandardCharsets.UTF_8));
    private static final RepairOptions EXTRACT = new RepairOptions(false, TOOLS, TextToolCalls.EXTRACT);

    @Test
    void contentWithoutMarkersGoesOutEventByEventUnchangedWithExtractionOn() {
        ChatResponse response = ChatResponse.parse("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Paris is sunny today, 21 °C; take sunglasses (and water).\"},"
                + "\"finish_reason\":\"stop\"}]}");
        List<SseChunk> events = new StreamSynthesizer(ChunkingPolicy.byCodePoints(3)).synthesize(response, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamRepairer repairer = new StreamRepairer(EXTRACT, out::writeBytes);
        ByteArrayOutputStream upstream = new ByteArrayOutputStream();

        for (SseChunk event : events) {
            byte[] bytes = event.toBytes();
            upstream.writeBytes(bytes);
            repairer.feed(bytes, 0, bytes.length);
            boolean contentEvent = event instanceof SseChunk.Data data && data.data().contains("\"content\":\"");
            if (contentEvent) {
                // Everything fed so far is out before the next event is fed.
                assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(upstream.toString(StandardCharsets.UTF_8));
            }
        }
        repairer.finish();

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(upstream.toString(StandardCharsets.UTF_8));
        assertThat(repairer.report().isEmpty()).isTrue();
    }

    @Test
    void callJsonDuplicatedIntoContentAfterTheCallIsDropped() {
        String stream = chunk("{\"role\":\"assistant\"}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"a1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"Oslo\\\"}\"}}]}")
                + chunk("{\"content\":\"[{\\\"name\\\": \\\"get_weather\\\", \"}")
                + chunk("{\"content\":\"\\\"arguments\\\": {\\\"location\\\": \\\"Oslo\\\"}}]\\n\"}")
                + finish("tool_calls");
        byte[] repaired = repair(stream, EXTRACT);

        Choice choice = RoundTrip.accumulate(repaired).choices().get(0);
        assertThat(choice.message().content()).isNull();
        assertThat(choice.message().toolCalls()).extracting(ToolCall::name).containsExactly("get_weather");
        StreamContract.assertConforms(repaired, false);
    }

    @Test
    void jsonContentThatRendersOtherCallsIsGivenBackUnchanged() {
        // Extraction off: with it on, this content is a Llama 3.x call of its own (index 1).
        RepairOptions off = new RepairOptions(false, TOOLS, TextToolCalls.OFF);
        String content = "{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": {\\\"location\\\": \\\"Bergen\\\"}}";
        String stream = chunk("{\"role\":\"assistant\",\"content\":\"" + content + "\"}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"a1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"Oslo\\\"}\"}}]}")
                + finish("tool_calls");

        byte[] repaired = repair(stream, off);

        Choice choice = RoundTrip.accumulate(repaired).choices().get(0);
        assertThat(choice.message().content()).isEqualTo("{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Bergen\"}}");
        assertThat(choice.message().toolCalls()).hasSize(1);
        StreamContract.assertConforms(repaired, false);
    }

    @Test
    void aCallExtractedFromTextForAForcedFunctionKeepsTheStopOpenAiSends() {
        DeclaredTools forced = DeclaredTools.fromRequest(("{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}],"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}").getBytes(StandardCharsets.UTF_8));
        RepairOptions options = new RepairOptions(false, forced, TextToolCalls.EXTRACT);
        String stream = chunk("{\"role\":\"assistant\",\"content\":\"<tool_call>\\n{\\\"name\\\": \\\"get_weather\\\", "
                + "\\\"arguments\\\": {\\\"location\\\": \\\"Oslo\\\"}}\\n</tool_call>\"}")
                + finish("stop");

        Choice choice = RoundTrip.accumulate(repair(stream, options)).choices().get(0);

        assertThat(choice.message().toolCalls()).extracting(ToolCall::name).containsExactly("get_weather");
        assertThat(choice.finishReason()).isEqualTo("stop");
    }

    @Test
    void eachChoiceOfAChunkWithSeveralIsExtractedOnItsOwn() {
        String block = "<tool_call>{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": {\\\"location\\\": \\\"Oslo\\\"}}</tool_call>";
        String stream = twoChoices("{\"role\":\"assistant\"}", "{\"role\":\"assistant\"}")
                + twoChoices("{\"content\":\"" + block.substring(0, 20) + "\"}", "{\"content\":\"Sunny\"}")
                + twoChoices("{\"content\":\"" + block.substring(20) + "\"}", "{\"content\":\" in Oslo.\"}")
                + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":["
                + "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"},{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

        byte[] repaired = repair(stream, EXTRACT);

        ChatResponse response = RoundTrip.accumulate(repaired);
        assertThat(response.choices().get(0).message().content()).isNull();
        assertThat(response.choices().get(0).message().toolCalls()).extracting(ToolCall::name, ToolCall::arguments)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("get_weather", "{\"location\":\"Oslo\"}"));
        assertThat(response.choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(response.choices().get(1).message().content()).isEqualTo("Sunny in Oslo.");
        assertThat(response.choices().get(1).message().toolCalls()).isEmpty();
        assertThat(response.choices().get(1).finishReason()).isEqualTo("stop");
        StreamContract.assertConforms(repaired, false);
    }

    @Test
    void contentHeldAsAPossibleMarkerGoesOutBeforeTheNativeCallsThatFollowIt() {
        // "[" may open Mistral's call array, and content held as a possible duplicate of the calls
        // queues them; when it is given back at the finish, it still goes out ahead of them.
        String stream = chunk("{\"role\":\"assistant\"}")
                + chunk("{\"content\":\"[\"}")
                + chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"a1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]}")
                + finish("tool_calls");
        byte[] repaired = repair(stream, EXTRACT);

        StreamContract.assertConforms(repaired, false);
        Choice choice = RoundTrip.accumulate(repaired).choices().get(0);
        assertThat(choice.message().content()).isEqualTo("[");
        assertThat(choice.message().toolCalls()).hasSize(1);
    }

    private static String twoChoices(String delta0, String delta1) {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":["
                + "{\"index\":0,\"delta\":" + delta0 + ",\"finish_reason\":null},"
                + "{\"index\":1,\"delta\":" + delta1 + ",\"finish_reason\":null}]}\n\n";
    }

    @Test
    void extractionOffLeavesTheMarkupAsText() {
        RepairOptions off = new RepairOptions(false, TOOLS, TextToolCalls.OFF);
        BrokenCorpus.BrokenCase hermes = BrokenCorpus.load("hermes-content");

        Choice choice = RoundTrip.accumulate(StreamRepairer.repair(hermes.upstream(), off)).choices().get(0);

        assertThat(choice.message().toolCalls()).isEmpty();
        assertThat(choice.message().content()).contains("<tool_call>");
    }

    @Test
    void theReportCountsWhatWasMended() {
        BrokenCorpus.BrokenCase ollama = BrokenCorpus.load("ollama-qwen3coder-index0-stop");
        StreamRepairer repairer = new StreamRepairer(ollama.options(), b -> {});
        repairer.feed(ollama.upstream(), 0, ollama.upstream().length);
        repairer.finish();

        assertThat(repairer.report().defects()).containsAllEntriesOf(
                Map.of(Defect.REUSED_INDEX, 1, Defect.FINISH_REASON, 1, Defect.ROLE, 1));
        assertThat(repairer.report().extracted()).isEmpty();

        BrokenCorpus.BrokenCase hermes = BrokenCorpus.load("hermes-content");
        StreamRepairer extracting = new StreamRepairer(hermes.options(), b -> {});
        extracting.feed(hermes.upstream(), 0, hermes.upstream().length);
        extracting.finish();

        assertThat(extracting.report().extracted()).isEqualTo(Map.of(ToolCallFormat.HERMES, 1));
        assertThat(extracting.report().count(Defect.FINISH_REASON)).isEqualTo(1);
    }

    private static byte[] repair(String stream, RepairOptions options) {
        return StreamRepairer.repair(stream.getBytes(StandardCharsets.UTF_8), options);
    }

    private static String chunk(String delta) {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
    }

    private static String finish(String reason) {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"delta\":{},\"finish_reason\":\"" + reason + "\"}]}\n\n";
    }
}
