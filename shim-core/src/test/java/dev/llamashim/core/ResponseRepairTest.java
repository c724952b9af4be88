package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.llamashim.core.testing.Fixture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link ResponseRepair} on answers that need nothing, and on the details the corpus does not show. */
class ResponseRepairTest {

    private static final RepairOptions TOOLS = new RepairOptions(false, DeclaredTools.fromRequest(
            ("{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
                    + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]}").getBytes(StandardCharsets.UTF_8)),
            TextToolCalls.EXTRACT);

    static List<Fixture> completions() {
        return Fixture.all().stream().filter(Fixture::isNonStreamedCompletion).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completions")
    void llamaServersOwnAnswersPassUntouched(Fixture fixture) {
        byte[] body = fixture.body();

        assertThat(ResponseRepair.repairJson(body, TOOLS)).isSameAs(body);
        ChatResponse response = ChatResponse.parse(body);
        RepairResult result = ResponseRepair.repair(response, TOOLS);
        assertThat(result.response()).isSameAs(response);
        assertThat(result.report().isEmpty()).isTrue();
    }

    @Test
    void callsWrittenAsTextComeAfterTheNativeOnesAndTheTextAroundThemStays() {
        String json = "{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Checking. <tool_call>\\n{\\\"name\\\": \\\"get_time\\\", "
                + "\\\"arguments\\\": {\\\"zone\\\": \\\"UTC\\\"}}\\n</tool_call> Done.\",\"tool_calls\":[{\"id\":\"n1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]}}]}";

        RepairResult result = ResponseRepair.repair(ChatResponse.parse(json), TOOLS);
        Choice choice = result.response().choices().get(0);

        assertThat(choice.message().content()).isEqualTo("Checking.  Done.");
        assertThat(choice.message().toolCalls()).extracting(ToolCall::index, ToolCall::name)
                .containsExactly(tuple(0, "get_weather"), tuple(1, "get_time"));
        assertThat(choice.message().toolCalls().get(1).id()).matches("call_[A-Za-z0-9]{24}");
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(result.report().extracted()).containsEntry(ToolCallFormat.HERMES, 1);
        assertThat(result.report().count(Defect.FINISH_REASON)).isEqualTo(1);

        RepairedJson repairedJson = ResponseRepair.repairJsonWithReport(json.getBytes(StandardCharsets.UTF_8), TOOLS);
        assertThat(repairedJson.report()).isEqualTo(result.report());
        ChatResponse fromJson = ChatResponse.parse(repairedJson.json());
        assertThat(fromJson.choices().get(0).message().content()).isEqualTo("Checking.  Done.");
        assertThat(fromJson.choices().get(0).message().toolCalls()).extracting(ToolCall::name)
                .containsExactly("get_weather", "get_time");
        assertThat(fromJson.choices().get(0).finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void extractionOffAndUndeclaredToolsLeaveTheTextAlone() {
        String json = "{\"choices\":[{\"message\":{\"content\":\"<tool_call>{\\\"name\\\": \\\"get_time\\\", \\\"arguments\\\": {}}</tool_call>\"},"
                + "\"finish_reason\":\"stop\"}]}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        RepairOptions off = new RepairOptions(false, TOOLS.tools(), TextToolCalls.OFF);

        assertThat(ResponseRepair.repairJson(bytes, off)).isSameAs(bytes);
        assertThat(ResponseRepair.repairJson(bytes, RepairOptions.of(false))).isSameAs(bytes);
        assertThat(ResponseRepair.repairJson(bytes, TOOLS)).isNotSameAs(bytes);
    }

    @Test
    void notACompletionIsLeftToTheServer() {
        byte[] error = "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}".getBytes(StandardCharsets.UTF_8);
        byte[] garbage = "not json".getBytes(StandardCharsets.UTF_8);

        assertThat(ResponseRepair.repairJson(error, TOOLS)).isSameAs(error);
        assertThat(ResponseRepair.repairJson(garbage, TOOLS)).isSameAs(garbage);
        RepairedJson unchanged = ResponseRepair.repairJsonWithReport(error, TOOLS);
        assertThat(unchanged.json()).isSameAs(error);
        assertThat(unchanged.report()).isEqualTo(RepairReport.NONE);
    }
}
