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
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
    void aFiveHundredWithAnotherMessageIsNoRefusalAndReachesTheClientAfterOneRequest(ServletContainer.Kind kind,
            Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, "old")) {
            // No messages: the old build answers 500 "'messages' is required", to stream:false as well.
            byte[] noMessages = "{\"model\":\"tiny\",\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"
                    .getBytes(StandardCharsets.UTF_8);

            HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup), noMessages);

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).isEqualTo(Fixture.load("old", "error-missing-messages-stream").body());
            assertThat(setup.upstreamRequests()).extracting(AutoModeTest::streamed).containsExactly(true);

            OpenAiJava.streamToolCall(setup.container().baseUri(), false);

            assertThat(setup.upstreamRequests()).as("the real refusal that follows is still asked again")
                    .extracting(AutoModeTest::streamed).containsExactly(true, true, false);
        }
    }

    /**
     * A failing, overloaded or timed-out model server (or llamashim's own proxy speaking for it) is
     * asked once, whatever its message says: asking again would double the load it fails under.
     */
    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aStatusThatIsNeverARefusalReachesTheClientAfterOneRequestWhateverItsMessage(ServletContainer.Kind kind,
            Downstream downstream) throws Exception {
        List<Integer> statuses = List.of(408, 429, 502, 503, 504);
        Function<RecordedRequest, Reply> route = request -> Reply.json(Integer.parseInt(request.json().path("model").asText()),
                REFUSAL_MESSAGE);
        try (Downstream.Setup setup = start(kind, downstream, route)) {
            for (int status : statuses) {
                HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup), toolCallRequest(Integer.toString(status)));

                assertThat(response.statusCode()).isEqualTo(status);
                assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(REFUSAL_MESSAGE);
            }
            assertThat(setup.upstreamRequests()).as("one request per status, each stream:true")
                    .extracting(request -> request.json().path("model").asText() + " " + streamed(request))
                    .containsExactly("408 true", "429 true", "502 true", "503 true", "504 true");
        }
    }

    /** What other servers answer when they cannot stream (see {@code RefusalRule}): each is asked again for JSON. */
    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aRefusalInTheWordsOfOtherServersIsAskedAgainForJson(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        Map<String, Reply> refusals = new LinkedHashMap<>();
        refusals.put("openai-o1", Reply.json(400, "{\"error\":{\"message\":\"Unsupported value: 'stream' does not support true with"
                + " this model. Supported values are: false.\",\"type\":\"invalid_request_error\",\"param\":\"stream\","
                + "\"code\":\"unsupported_value\"}}"));
        refusals.put("groq", Reply.json(400, "{\"error\":{\"message\":\"Tool and function calls do not currently support"
                + " streaming\",\"type\":\"invalid_request_error\"}}"));
        refusals.put("fastapi", Reply.json(400, "{\"detail\":\"Tools are not supported in streaming mode.\"}"));
        refusals.put("plain-501", Reply.of(501, "text/plain; charset=utf-8",
                "streaming is not implemented for this model".getBytes(StandardCharsets.UTF_8)));
        Fixture json = Fixture.load("new", "tool-call-nonstream");
        Function<RecordedRequest, Reply> route = request -> streamed(request)
                ? refusals.get(request.json().path("model").asText()) : Reply.of(json);
        try (Downstream.Setup setup = start(kind, downstream, route)) {
            for (String model : refusals.keySet()) {
                HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup), toolCallRequest(model));

                assertThat(response.statusCode()).as(model).isEqualTo(200);
                assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
                assertThat(RoundTrip.accumulate(response.body()).choices().get(0).message().toolCalls()).as(model)
                        .isEqualTo(ChatResponse.parse(json.body()).choices().get(0).message().toolCalls());
            }
            assertThat(setup.upstreamRequests()).extracting(request -> request.json().path("model").asText() + " " + streamed(request))
                    .containsExactly("openai-o1 true", "openai-o1 false", "groq true", "groq false",
                            "fastapi true", "fastapi false", "plain-501 true", "plain-501 false");
        }
    }

    /**
     * A model server that answers stream:false with the same refusal-like error did not refuse to
     * stream: it is not asked twice again for that status (and model), while other models still are.
     */
    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aRefusalThatStreamFalseGetsTooIsRememberedAsNone(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        String sameEitherWay = "{\"error\":{\"message\":\"streaming is not supported for this model\",\"type\":\"server_error\"}}";
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(Reply.json(400, sameEitherWay)))) {
            for (String model : List.of("qwen", "qwen", "llama")) {
                HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup), toolCallRequest(model));

                assertThat(response.statusCode()).isEqualTo(400);
                assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(sameEitherWay);
            }
            assertThat(setup.upstreamRequests()).extracting(request -> request.json().path("model").asText() + " " + streamed(request))
                    .containsExactly("qwen true", "qwen false", "qwen true", "llama true", "llama false");
        }
    }

    /** A model server silent past the proxy's timeout is asked once, in {@code auto} as in {@code synthesize}: the 504 comes at once. */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"JETTY, SYNTHESIZE", "JETTY, AUTO", "TOMCAT, SYNTHESIZE", "TOMCAT, AUTO"})
    void aSilentModelServerIsAskedOnceAndTheClientGetsTheProxysTimeout(ServletContainer.Kind kind, Mode mode) throws Exception {
        Reply silent = Reply.of(Fixture.load("new", "tool-call-nonstream")).after(Duration.ofSeconds(20));
        ToolStreamFilter filter = new ToolStreamFilter(ShimSettings.builder().mode(mode).build());
        try (Downstream.Setup setup = Downstream.PROXY.start(kind, filter, Routes.always(silent), 16, Duration.ofSeconds(1))) {
            HttpResponse<byte[]> response = Http.postJson(RepairModeTest.chat(setup), toolCallRequest("tiny"));

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(setup.upstreamRequests()).extracting(AutoModeTest::streamed).containsExactly(mode == Mode.AUTO);
        }
    }

    private static final String REFUSAL_MESSAGE = "{\"error\":{\"code\":500,\"message\":\"Cannot use tools with stream\","
            + "\"type\":\"server_error\"}}";

    /** The captured tool-call request, {@code stream:true}, naming {@code model}. */
    private static byte[] toolCallRequest(String model) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode request = (ObjectNode) json.readTree(Fixture.load("new", "tool-call-native-stream").requestBody());
        return json.writeValueAsBytes(request.put("model", model));
    }
}
