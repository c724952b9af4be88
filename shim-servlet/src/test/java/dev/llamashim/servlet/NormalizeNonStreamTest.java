package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code normalize-non-stream}: the JSON answer to a {@code stream:false} chat request with tools
 * is repaired as JSON when on, and passes untouched and unheld when off (the default).
 */
class NormalizeNonStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ShimSettings NORMALIZE = ShimSettings.builder().normalizeNonStream(true).build();
    /** A stream:false request with the fixtures' get_weather tool. */
    private static final byte[] REQUEST = Fixture.load("new", "tool-call-nonstream").requestBody();
    /** A completion making a call but finishing with "stop", as Ollama and LM Studio answer. */
    private static final String STOP_WITH_A_CALL = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"call_1\","
            + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"Paris\\\"}\"}}]},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1.50e1,\"completion_tokens\":2,\"total_tokens\":17}}";

    static Stream<Arguments> containers() {
        return Stream.of(Arguments.of(ServletContainer.Kind.TOMCAT, Downstream.PROXY),
                Arguments.of(ServletContainer.Kind.JETTY, Downstream.SYNC),
                Arguments.of(ServletContainer.Kind.JETTY, Downstream.DISPATCH));
    }

    private static Reply stopWithACall() {
        return new Reply(200, List.of(Map.entry("Content-Type", "application/json"), Map.entry("X-Request-Id", "r-7"),
                Map.entry("ETag", "\"abc\"")), List.of(STOP_WITH_A_CALL.getBytes(StandardCharsets.UTF_8)), Duration.ZERO, Duration.ZERO);
    }

    private static URI chat(Downstream.Setup setup) {
        return setup.container().baseUri().resolve("/v1/chat/completions");
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("containers")
    void aCompletionThatNeedsRepairComesRepairedAsJsonWithItsOwnHeaders(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(NORMALIZE), Routes.always(stopWithACall()), 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), REQUEST);

            JsonNode answer = JSON.readTree(response.body());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow().replace(" ", "")).isEqualToIgnoringCase("application/json;charset=utf-8");
            assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(response.body().length);
            assertThat(response.headers().firstValue("X-Request-Id")).contains("r-7");
            assertThat(response.headers().firstValue("ETag")).isEmpty();
            assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
            assertThat(answer.at("/choices/0/message/tool_calls/0/id").asText()).isEqualTo("call_1");
            assertThat(answer.at("/usage/prompt_tokens").decimalValue()).isEqualByComparingTo("15");
            assertThat(setup.upstreamRequests()).singleElement().satisfies(upstream -> assertThat(upstream.body()).isEqualTo(REQUEST));
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("containers")
    void aCompletionThatNeedsNothingAndAnyOtherAnswerComeByteForByte(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture[] answers = {Fixture.load("new", "tool-call-nonstream"), Fixture.load("new", "error-prompt-too-long"),
            Fixture.load("new", "error-unknown-path-post")};
        for (Fixture answer : answers) {
            try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(NORMALIZE), Routes.always(answer), 16)) {
                HttpResponse<byte[]> response = Http.postJson(chat(setup), REQUEST);

                assertThat(response.statusCode()).as(answer.toString()).isEqualTo(answer.status());
                assertThat(response.body()).as(answer.toString()).isEqualTo(answer.body());
            }
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("containers")
    void byDefaultTheAnswerIsNeitherRepairedNorHeld(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        ShimSettings small = ShimSettings.builder().maxResponseBytes(64).build();
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(small), Routes.always(stopWithACall()), 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), REQUEST);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(STOP_WITH_A_CALL);
            assertThat(response.headers().firstValue("ETag")).contains("\"abc\"");
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("containers")
    void anAnswerTooLargeToHoldIsA502(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        ShimSettings small = ShimSettings.builder().normalizeNonStream(true).maxResponseBytes(64).build();
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(small), Routes.always(stopWithACall()), 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), REQUEST);

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("upstream_response_too_large");
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("containers")
    void aSlowModelGetsNoHeartbeatsTheAnswerStaysJson(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        ShimSettings fastHeartbeats = ShimSettings.builder().normalizeNonStream(true).heartbeat(Duration.ofMillis(50)).build();
        Reply slow = stopWithACall().after(Duration.ofMillis(400));
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(fastHeartbeats), Routes.always(slow), 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), REQUEST);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
            assertThat(JSON.readTree(response.body()).at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        }
    }
}
