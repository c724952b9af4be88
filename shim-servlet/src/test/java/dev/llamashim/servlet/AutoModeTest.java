package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.http.HttpResponse;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mode {@code auto} against the two llama-server builds of the captures, in Jetty 12 and Tomcat 11
 * in front of every kind of downstream: the old build refuses to stream tool calls and gets asked
 * again for JSON, the new one streams and is repaired; openai-java sees the same tool call.
 */
class AutoModeTest {

    private static Downstream.Setup start(ServletContainer.Kind kind, Downstream downstream, String build) {
        return start(kind, downstream, Routes.llamaServer(build));
    }

    private static Downstream.Setup start(ServletContainer.Kind kind, Downstream downstream, Function<RecordedRequest, Reply> route) {
        ShimSettings settings = ShimSettings.builder().mode(Mode.AUTO).build();
        return downstream.start(kind, new ToolStreamFilter(settings), route, 16);
    }

    private static boolean streamed(RecordedRequest request) {
        return request.json().path("stream").asBoolean(false);
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void anOldServerThatRefusesIsAskedAgainForJsonAndThenStraightAway(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, "old")) {
            ChatCompletion first = OpenAiJava.streamToolCall(setup.container().baseUri(), true);

            RepairModeTest.assertSameMessage("old", first, ChatResponse.parse(Fixture.load("old", "tool-call-nonstream").body()));
            assertThat(first.usage()).isPresent();
            assertThat(setup.upstreamRequests()).extracting(AutoModeTest::streamed).containsExactly(true, false);
            assertThat(setup.upstreamRequests().get(1).json().has("stream_options")).isFalse();

            ChatCompletion second = OpenAiJava.streamToolCall(setup.container().baseUri(), false);

            RepairModeTest.assertSameMessage("old", second, ChatResponse.parse(Fixture.load("old", "tool-call-nonstream").body()));
            assertThat(setup.upstreamRequests()).as("the refusal is remembered")
                    .extracting(AutoModeTest::streamed).containsExactly(true, false, false);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aNewServerThatStreamsIsRepairedAndAskedOnce(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, "new")) {
            ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), true);

            Fixture nativeStream = Fixture.load("new", "tool-call-native-stream-usage");
            RepairModeTest.assertSameMessage("new", completion, RoundTrip.accumulate(nativeStream.body()));
            assertThat(completion.usage()).isPresent();
            assertThat(setup.upstreamRequests()).extracting(AutoModeTest::streamed).containsExactly(true);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void anErrorThatAsksAgainCannotChangeReachesTheClientAsItCameWithoutARetry(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        Fixture notFound = Fixture.load("new", "error-unknown-path-post");
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(notFound))) {
            HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup),
                    Fixture.load("new", "tool-call-native-stream").requestBody());

            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(response.body()).isEqualTo(notFound.body());
            assertThat(setup.upstreamRequests()).hasSize(1);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aFailedRetryIsNotRemembered(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, "old")) {
            // No messages: the old build answers both tries with an error.
            byte[] noMessages = "{\"model\":\"tiny\",\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);

            HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup), noMessages);

            assertThat(response.statusCode()).isGreaterThanOrEqualTo(400);
            assertThat(response.body()).isEqualTo(Fixture.load("old", "error-missing-messages").body());
            assertThat(setup.upstreamRequests()).extracting(AutoModeTest::streamed).containsExactly(true, false);

            OpenAiJava.streamToolCall(setup.container().baseUri(), false);

            assertThat(setup.upstreamRequests()).as("a later request still tries the stream first")
                    .extracting(AutoModeTest::streamed).containsExactly(true, false, true, false);
        }
    }
}
