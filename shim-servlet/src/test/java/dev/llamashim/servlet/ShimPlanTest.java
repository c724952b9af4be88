package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a chat request body is decided on and rewritten, byte for byte. */
class ShimPlanTest {

    private static ShimPlan plan(String body) {
        return ShimPlan.decide(body.getBytes(StandardCharsets.UTF_8), SimulateWhen.TOOLS);
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
        assertThat(ShimPlan.decide("{\"stream\":true}".getBytes(StandardCharsets.UTF_8), SimulateWhen.ALWAYS)).isNotNull();
    }

    @Test
    void whatFollowsTheObjectIsNotForwarded() {
        assertThat(upstream("{\"stream\":true,\"tools\":[1]} trailing")).isEqualTo("{\"stream\":false,\"tools\":[1]}");
    }

    @Test
    void aUtf16BodyIsForwardedAsCompactUtf8() {
        byte[] body = "{ \"stream\": true, \"tools\": [\"é\"], \"n\": 1.50 }".getBytes(StandardCharsets.UTF_16LE);

        ShimPlan plan = ShimPlan.decide(body, SimulateWhen.TOOLS);

        assertThat(new String(plan.upstreamBody(), StandardCharsets.UTF_8)).isEqualTo("{\"stream\":false,\"tools\":[\"é\"],\"n\":1.50}");
    }

    @Test
    void aByteOrderMarkStaysInFrontOfTheObject() {
        assertThat(upstream("\uFEFF{\"stream\":true,\"tools\":[1]}")).isEqualTo("\uFEFF{\"stream\":false,\"tools\":[1]}");
    }
}
