package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.DeclaredTools;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a chat request body is decided on and rewritten, byte for byte. */
class ShimPlanTest {

    private static ShimPlan plan(String body) {
        return ShimPlan.decide(body.getBytes(StandardCharsets.UTF_8), SimulateWhen.TOOLS, false);
    }

    private static String upstream(String body) {
        return new String(plan(body).upstreamBody(), StandardCharsets.UTF_8);
    }

    @Test
    void everyOtherMemberReachesTheModelServerAsTheClientWroteIt() {
        assertThat(upstream("{\"model\": \"m\", \"temperature\": 0.70, \"stream\": true, \"tools\": [{\"x\": 1e2}],"
                + " \"messages\": [{\"content\": \"caf\\u00e9 \\/ é\"}] }"))
                .isEqualTo("{\"model\": \"m\",\"temperature\": 0.70,\"stream\":false,\"tools\": [{\"x\": 1e2}],"
                        + "\"messages\": [{\"content\": \"caf\\u00e9 \\/ é\"}] }");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"stream_options\":{\"include_usage\":true},\"stream\":true,\"tools\":[1]}|{\"stream\":false,\"tools\":[1]}",
        "{\"stream\":true,\"stream_options\":{},\"tools\":[1]}|{\"stream\":false,\"tools\":[1]}",
        "{\"stream\":true,\"tools\":[1],\"stream_options\":null}|{\"stream\":false,\"tools\":[1]}",
        "{\"stream_options\":1,\"stream_options\":2,\"stream\":true,\"tools\":[1]}|{\"stream\":false,\"tools\":[1]}",
    })
    void streamOptionsIsLeftOutWhereverItStands(String body, String expected) {
        assertThat(upstream(body)).isEqualTo(expected);
    }

    @Test
    void whiteSpaceAroundALeftOutLastMemberGoesWithIt() {
        assertThat(upstream("{ \"stream\" : true ,\n \"tools\" : [1] ,\n \"stream_options\" : {} \n}"))
                .isEqualTo("{ \"stream\":false,\"tools\" : [1] \n}");
    }

    @Test
    void theLastOfRepeatedKeysDecidesAsInAJsonTree() {
        assertThat(plan("{\"stream\":true,\"stream\":false,\"tools\":[1]}")).isNull();
        assertThat(plan("{\"tools\":[1],\"tools\":[]}")).isNull();
        assertThat(upstream("{\"stream\":false,\"tools\":[1],\"stream\":true}"))
                .isEqualTo("{\"stream\":false,\"tools\":[1],\"stream\":false}");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "true|true", "false|false", "\"true\"|true", "\" true \"|true", "\"yes\"|false", "1|true", "0|false", "-0|false",
        "1.0|false", "null|false", "[true]|false", "{\"a\":true}|false",
    })
    void includeUsageIsReadAsAJsonTreesAsBooleanReadsIt(String value, boolean expected) {
        assertThat(plan("{\"stream\":true,\"tools\":[1],\"stream_options\":{\"include_usage\":" + value + "}}").includeUsage())
                .isEqualTo(expected);
    }

    @Test
    void onlyStreamingObjectsWithToolsOrFunctionsAreShimmed() {
        assertThat(plan("{\"stream\":true,\"functions\":[{}]}")).isNotNull();
        assertThat(plan("{\"stream\":true,\"tools\":{}}")).isNull();
        assertThat(plan("{\"stream\":\"true\",\"tools\":[1]}")).isNull();
        assertThat(plan("[{\"stream\":true,\"tools\":[1]}]")).isNull();
        assertThat(plan("{\"stream\":true,\"tools\":[1]")).isNull();
        assertThat(plan("")).isNull();
        assertThat(ShimPlan.decide("{\"stream\":true}".getBytes(StandardCharsets.UTF_8), SimulateWhen.ALWAYS, false)).isNotNull();
    }

    @Test
    void whatFollowsTheObjectIsNotForwarded() {
        assertThat(upstream("{\"stream\":true,\"tools\":[1]} trailing")).isEqualTo("{\"stream\":false,\"tools\":[1]}");
    }

    @Test
    void aUtf16BodyIsForwardedAsCompactUtf8() {
        byte[] body = "{ \"stream\": true, \"tools\": [\"é\"], \"n\": 1.50 }".getBytes(StandardCharsets.UTF_16LE);

        ShimPlan plan = ShimPlan.decide(body, SimulateWhen.TOOLS, false);

        assertThat(new String(plan.upstreamBody(), StandardCharsets.UTF_8)).isEqualTo("{\"stream\":false,\"tools\":[\"é\"],\"n\":1.50}");
    }

    @Test
    void aByteOrderMarkStaysInFrontOfTheObject() {
        assertThat(upstream("\uFEFF{\"stream\":true,\"tools\":[1]}")).isEqualTo("\uFEFF{\"stream\":false,\"tools\":[1]}");
    }

    @Test
    void theDeclaredToolsAreReadFromToolsFunctionsAndToolChoiceAsFromTheWholeRequest() {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"{\\\"tools\\\":1}\"}],\"stream\":true,"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"old\"}}],"
                + "\"tools\" : [ {\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                + "{\"type\":\"object\",\"properties\":{\"days\":{\"type\":\"integer\"}}}}} ] ,"
                + "\"functions\":[{\"name\":\"legacy\"}],"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}";

        DeclaredTools tools = plan(body).tools();

        assertThat(tools.names()).containsExactly("get_weather", "legacy");
        assertThat(tools.parameters("get_weather").orElseThrow().at("/properties/days/type").asText()).isEqualTo("integer");
        assertThat(tools.parameters("legacy")).isEmpty();
        assertThat(tools.forcedFunction()).contains("get_weather");
        assertThat(tools.toString()).isEqualTo(DeclaredTools.fromRequest(body.getBytes(StandardCharsets.UTF_8)).toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"auto\"|",
        "\"required\"|",
        "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}|f",
        "{\"type\":\"function\",\"function\":{\"name\":\"f\"}},\"tool_choice\":\"auto\"|",
    })
    void onlyAToolChoiceNamingAFunctionForcesIt(String choice, String forced) {
        DeclaredTools tools = plan("{\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                + "\"tool_choice\":" + choice + "}").tools();

        assertThat(tools.forcedFunction().orElse(null)).isEqualTo(forced);
    }

    @Test
    void theOlderFunctionCallForcesAFunctionToo() {
        DeclaredTools tools = plan("{\"function_call\":{\"name\":\"g\"},\"stream\":true,\"functions\":[{\"name\":\"g\"}]}").tools();

        assertThat(tools.forcedFunction()).contains("g");
    }

    @Test
    void aUtf16BodysToolsAreReadToo() {
        byte[] body = "{\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"é\"}}]}"
                .getBytes(StandardCharsets.UTF_16BE);

        assertThat(ShimPlan.decide(body, SimulateWhen.TOOLS, false).tools().names()).containsExactly("é");
    }

    @Test
    void withNormalizeNonStreamANonStreamingRequestWithToolsIsTakenOnAndForwardedAsItCame() {
        byte[] body = "{ \"stream\" : false, \"stream_options\":{\"include_usage\":true}, \"tools\":[{\"function\":{\"name\":\"f\"}}] }"
                .getBytes(StandardCharsets.UTF_8);

        ShimPlan plan = ShimPlan.decide(body, SimulateWhen.TOOLS, true);

        assertThat(plan.stream()).isFalse();
        assertThat(plan.upstreamBody()).isSameAs(body);
        assertThat(plan.tools().names()).containsExactly("f");
        assertThat(ShimPlan.decide(body, SimulateWhen.TOOLS, false)).isNull();
    }

    @Test
    void normalizeNonStreamTakesOnlyRequestsThatDeclareTools() {
        assertThat(ShimPlan.decide(bytes("{\"tools\":[{}]}"), SimulateWhen.TOOLS, true).stream()).isFalse();
        assertThat(ShimPlan.decide(bytes("{\"functions\":[{}],\"stream\":null}"), SimulateWhen.TOOLS, true).stream()).isFalse();
        assertThat(ShimPlan.decide(bytes("{\"stream\":false}"), SimulateWhen.ALWAYS, true)).isNull();
        assertThat(ShimPlan.decide(bytes("{\"stream\":false,\"tools\":[]}"), SimulateWhen.TOOLS, true)).isNull();
        assertThat(ShimPlan.decide(bytes("{\"stream\":true,\"tools\":[{}]}"), SimulateWhen.TOOLS, true).stream()).isTrue();
    }

    @Test
    void aUtf16RequestToNormalizeIsForwardedInItsOwnBytes() {
        byte[] body = "{\"tools\":[{\"function\":{\"name\":\"f\"}}]}".getBytes(StandardCharsets.UTF_16LE);

        assertThat(ShimPlan.decide(body, SimulateWhen.TOOLS, true).upstreamBody()).isSameAs(body);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
