package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The filter in Jetty 12 and Tomcat 11, in front of a synchronous servlet, an asynchronous one,
 * and Jetty's async proxy to a fake llama-server replaying the captures — all over real HTTP.
 */
class ToolStreamFilterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");

    private static Downstream.Setup start(ServletContainer.Kind kind, Downstream downstream, Function<RecordedRequest, Reply> route) {
        return downstream.start(kind, new ToolStreamFilter(ShimSettings.defaults()), route, 16);
    }

    private static URI chat(Downstream.Setup setup) {
        return setup.container().baseUri().resolve("/v1/chat/completions");
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void openAiJavaAccumulatesTheFixturesToolCallExactly(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, Routes.llamaServer("new"))) {
            ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), true);

            ToolCall expected = ChatResponse.parse(TOOL_CALL.body()).choices().get(0).message().toolCalls().get(0);
            ChatCompletion.Choice choice = completion.choices().get(0);
            assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
            ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().get(0).asFunction();
            assertThat(call.id()).isEqualTo(expected.id());
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(call.function().arguments()).isEqualTo(expected.arguments());
            assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(38);
            assertThat(completion.id()).isEqualTo("chatcmpl-5neAdupgcUxPV5BnsS7ErDJFabOyDKuK");

            JsonNode upstreamBody = setup.upstreamRequests().get(0).json();
            assertThat(upstreamBody.get("stream").asBoolean()).isFalse();
            assertThat(upstreamBody.has("stream_options")).isFalse();
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void writesExactlyTheSynthesizedStreamWithStreamHeaders(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(TOOL_CALL))) {
            byte[] request = Fixture.load("new", "tool-call-native-stream-usage").requestBody();

            HttpResponse<byte[]> response = Http.postJson(chat(setup), request);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type.replace(" ", "").toLowerCase()).isEqualTo("text/event-stream;charset=utf-8"));
            assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
            byte[] expected = new StreamSynthesizer(ChunkingPolicy.defaults()).toBytes(ChatResponse.parse(TOOL_CALL.body()), true);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
            StreamContract.assertConforms(response.body(), true);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aShimmedAnswerCarriesOneDateHeaderWhenTheModelServerSentOne(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        // Ollama and vLLM date their answers (llama-server does not); the container dates the stream too.
        Reply dated = Reply.of(TOOL_CALL);
        List<Map.Entry<String, String>> headers = new ArrayList<>(dated.headers());
        headers.add(Map.entry("Date", "Tue, 01 Dec 2026 10:00:00 GMT"));
        Reply withDate = new Reply(dated.status(), headers, dated.parts(), dated.before(), dated.between());
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(withDate))) {
            byte[] request = Fixture.load("new", "tool-call-native-stream-usage").requestBody();

            HttpResponse<byte[]> response = Http.postJson(chat(setup), request);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().allValues("Date")).hasSize(1);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void downstreamGetsTheSameRequestWithStreamFalseAndATrueLength(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(TOOL_CALL))) {
            byte[] request = Fixture.load("new", "tool-call-native-stream-usage").requestBody();

            Http.postJson(chat(setup), request);

            RecordedRequest received = setup.upstreamRequests().get(0);
            ObjectNode expected = (ObjectNode) JSON.readTree(request);
            expected.put("stream", false);
            expected.remove("stream_options");
            assertThat(received.json()).isEqualTo(expected);
            assertThat(received.header("accept-encoding")).as("the filter must be able to read the answer").isNull();
            assertThat(received.header("content-length")).isEqualTo(Integer.toString(received.body().length));
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void anUpstreamErrorReachesTheClientAsItCame(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture tooLong = Fixture.load("new", "error-prompt-too-long");
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(tooLong))) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), Fixture.load("new", "tool-call-native-stream").requestBody());

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).isEqualTo(tooLong.body());
            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aJsonAnswerThatIsNoChatCompletionBecomesA502ThatSaysWhy(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(Reply.json(200, "{\"object\":\"list\",\"data\":[]}")))) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), Fixture.load("new", "tool-call-native-stream").requestBody());

            assertThat(response.statusCode()).isEqualTo(502);
            JsonNode error = JSON.readTree(response.body()).get("error");
            assertThat(error.get("message").asText()).contains("not with a chat completion").contains("missing \"choices\"");
            assertThat(error.get("type").asText()).isEqualTo("upstream_error");
            assertThat(error.get("code").asText()).isEqualTo("invalid_upstream_response");
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void requestsItDoesNotShimPassThroughByteForByte(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, Routes.llamaServer("new"))) {
            byte[] nonStream = Fixture.load("new", "tool-call-nonstream").requestBody();
            HttpResponse<byte[]> chatAnswer = Http.postJson(chat(setup), nonStream);
            HttpResponse<byte[]> models = Http.get(setup.container().baseUri().resolve("/v1/models"));

            assertThat(setup.upstreamRequests().get(0).body()).isEqualTo(nonStream);
            assertThat(chatAnswer.statusCode()).isEqualTo(200);
            assertThat(chatAnswer.body()).isEqualTo(TOOL_CALL.body());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).isEqualTo(Fixture.load("new", "models").body());
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aNativeStreamPassesThroughEventByEventWhileTheUpstreamIsStillSending(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture stream = Fixture.load("new", "content-native-stream");
        Duration gap = Duration.ofMillis(150);
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(Reply.of(stream).eventByEvent(gap)))) {
            HttpRequest request = HttpRequest.newBuilder(chat(setup))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(stream.requestBody()))
                    .build();
            long start = System.nanoTime();
            HttpResponse<InputStream> response = Http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            byte[] first;
            long firstAt;
            byte[] rest;
            try (InputStream body = response.body()) {
                first = body.readNBytes(8);
                firstAt = System.nanoTime();
                rest = body.readAllBytes();
            }
            long endAt = System.nanoTime();

            int events = new String(stream.body(), StandardCharsets.UTF_8).split("\n\n").length;
            assertThat(new String(first, StandardCharsets.US_ASCII)).isEqualTo("data: {\"");
            assertThat(endAt - firstAt).as("the rest arrived over the following gaps, not all at once")
                    .isGreaterThan(gap.toNanos() * (events - 2));
            assertThat(firstAt - start).isLessThan(endAt - start - gap.toNanos() * (events - 2));
            byte[] all = new byte[first.length + rest.length];
            System.arraycopy(first, 0, all, 0, first.length);
            System.arraycopy(rest, 0, all, first.length, rest.length);
            assertThat(all).isEqualTo(stream.body());
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void worksAgainstTheOldBuildThatRefusesToStreamTools(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        try (Downstream.Setup setup = start(kind, downstream, Routes.llamaServer("old"))) {
            ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), false);

            ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
            assertThat(call.id()).isEqualTo("nKYvi0BW19MdAiwU5McDUs4gBW1czvt3");
            assertThat(call.function().arguments()).isEqualTo("{\"location\":\"London\",\"unit\":\"fahrenheit\"}");
            assertThat(completion.choices().get(0).message().content()).isEmpty();
        }
    }
}
