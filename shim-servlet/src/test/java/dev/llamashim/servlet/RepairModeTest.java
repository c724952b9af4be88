package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.Choice;
import dev.llamashim.core.SseChunk;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamRepairer;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.BrokenStream;
import dev.llamashim.core.testing.BrokenStream.Call;
import dev.llamashim.core.testing.BrokenStream.Defect;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.params.provider.EnumSource;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mode {@code repair} in Jetty 12 and Tomcat 11, in front of every kind of downstream: the model
 * server's own stream reaches a real openai-java client mended, event by event, over real HTTP.
 */
class RepairModeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ERROR_FIXTURE = "new/content-native-stream-invalid-utf8";

    static List<Fixture> completeNativeStreams() {
        return Fixture.all().stream().filter(Fixture::isNativeStream).filter(f -> !f.name().equals(ERROR_FIXTURE)).toList();
    }

    /** Hand-made broken streams: every defect alone, and all of them together with either line ending. */
    static List<BrokenStream> brokenStreams() {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        List<Call> calls = List.of(
                new Call("get_weather", nodes.objectNode().put("location", "Paris").put("unit", "celsius")),
                new Call("get_time", nodes.objectNode().put("zone", "Europe/Paris")));
        List<BrokenStream> streams = new ArrayList<>();
        for (Defect defect : Defect.values()) {
            streams.add(new BrokenStream("Let me look that up. 😀", calls, true, EnumSet.of(defect), false, 7));
        }
        streams.add(new BrokenStream("Checking…", calls, true, EnumSet.allOf(Defect.class), false, 5));
        streams.add(new BrokenStream(null, calls, false, EnumSet.allOf(Defect.class), true, 3));
        return streams;
    }

    private static Downstream.Setup start(ServletContainer.Kind kind, Downstream downstream, Function<RecordedRequest, Reply> route) {
        ShimSettings settings = ShimSettings.builder().mode(Mode.REPAIR).build();
        return downstream.start(kind, new ToolStreamFilter(settings), route, 16);
    }

    /** Answers with the fixture named in the request's {@code x-fixture} header. */
    private static Reply fixtureNamedInTheRequest(RecordedRequest request) {
        String[] name = request.header("x-fixture").split("/", 2);
        return Reply.of(Fixture.load(name[0], name[1]));
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void openAiJavaAccumulatesEveryNativeStreamFixtureRepairedToTheSameMessage(ServletContainer.Kind kind, Downstream downstream) {
        try (Downstream.Setup setup = start(kind, downstream, RepairModeTest::fixtureNamedInTheRequest)) {
            for (Fixture fixture : completeNativeStreams()) {
                boolean includeUsage = fixture.requestBodyText().contains("\"include_usage\":true");
                ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), includeUsage,
                        Map.of("x-fixture", fixture.name()));

                ChatResponse nativeMessage = RoundTrip.accumulate(fixture.body());
                assertSameMessage(fixture.name(), completion, nativeMessage);
                if (includeUsage && nativeMessage.usage() != null) {
                    assertThat(completion.usage().orElseThrow().completionTokens()).as(fixture.name())
                            .isEqualTo(JSON.readTree(nativeMessage.usage().json()).path("completion_tokens").asLong());
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void openAiJavaAccumulatesEveryHandMadeBrokenStreamToTheIntendedMessage(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        List<BrokenStream> streams = brokenStreams();
        Function<RecordedRequest, Reply> route = request -> Reply.of(200, "text/event-stream",
                streams.get(Integer.parseInt(request.header("x-broken"))).bytes()).eventByEvent(Duration.ZERO);
        try (Downstream.Setup setup = start(kind, downstream, route)) {
            for (int i = 0; i < streams.size(); i++) {
                BrokenStream broken = streams.get(i);
                ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), broken.includeUsage(),
                        Map.of("x-broken", Integer.toString(i)));

                String what = broken.defects() + (broken.crlf() ? " crlf" : "");
                ChatCompletion.Choice choice = completion.choices().get(0);
                // With no text, an upstream that sent content:"" keeps its empty content.
                String content = broken.content() == null && broken.defects().contains(Defect.EMPTY_CONTENT_FIRST)
                        ? "" : broken.content();
                assertThat(choice.message().content().orElse(null)).as(what).isEqualTo(content);
                List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
                assertThat(calls).as(what).hasSize(broken.calls().size());
                for (int c = 0; c < calls.size(); c++) {
                    ChatCompletionMessageFunctionToolCall call = calls.get(c).asFunction();
                    assertThat(call.function().name()).as(what).isEqualTo(broken.calls().get(c).name());
                    assertThat(call.function().arguments()).as(what).isEqualTo(broken.calls().get(c).argumentsText());
                    if (broken.sendsId(c)) {
                        assertThat(call.id()).as(what).isEqualTo(BrokenStream.upstreamId(c));
                    } else {
                        assertThat(call.id()).as(what).matches("call_[A-Za-z0-9]{24}");
                    }
                }
                assertThat(calls.stream().map(call -> call.asFunction().id()).distinct()).as(what).hasSize(calls.size());
                assertThat(choice.finishReason()).as(what).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
                if (broken.includeUsage()) {
                    assertThat(completion.usage().orElseThrow().totalTokens()).as(what).isEqualTo(12);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void theRepairedStreamMeetsTheContractAndTheRequestGoesUpstreamAsItCame(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        BrokenStream broken = brokenStreams().get(brokenStreams().size() - 2);
        try (Downstream.Setup setup = start(kind, downstream,
                Routes.always(Reply.of(200, "text/event-stream", broken.bytes()).eventByEvent(Duration.ZERO)))) {
            byte[] request = Fixture.load("new", "tool-call-native-stream-usage").requestBody();

            HttpResponse<byte[]> response = Http.postJson(chat(setup), request);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow().replace(" ", "").toLowerCase())
                    .isEqualTo("text/event-stream;charset=utf-8");
            assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
            StreamContract.assertConforms(response.body(), true);
            RecordedRequest received = setup.upstreamRequests().get(0);
            assertThat(received.body()).isEqualTo(request);
            assertThat(received.header("accept-encoding")).as("the filter must be able to read the stream").isNull();
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void eventsReachTheClientAsTheModelServerSendsThem(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture fixture = Fixture.load("new", "tool-call-native-stream");
        Reply slow = Reply.of(fixture).eventByEvent(Duration.ofMillis(150));
        int events = slow.parts().size();
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(slow))) {
            List<Long> arrivals = Http.dataEventArrivalMillis(chat(setup), fixture.requestBody());

            long upstreamTime = 150L * (events - 1);
            assertThat(arrivals).hasSizeGreaterThan(3);
            // The first tool-call delta left long before the model server's last event did.
            assertThat(arrivals.get(2)).as("arrival of the third event (ms), of %s", arrivals).isLessThan(upstreamTime / 2);
            assertThat(arrivals.get(arrivals.size() - 1)).isGreaterThanOrEqualTo(upstreamTime - 150);
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void anInStreamErrorReachesOpenAiJavaAsAnError(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture fixture = Fixture.load("new", "content-native-stream-invalid-utf8");
        List<SseChunk> upstreamEvents = SseParser.parseAll(fixture.body());
        String upstreamError = ((SseChunk.Data) upstreamEvents.get(upstreamEvents.size() - 1)).data();
        String message = JSON.readTree(upstreamError).path("error").path("message").asText();
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(fixture))) {
            assertThatThrownBy(() -> OpenAiJava.streamToolCall(setup.container().baseUri(), false))
                    .hasMessageContaining(message);

            HttpResponse<byte[]> raw = Http.postJson(chat(setup), Fixture.load("new", "tool-call-native-stream").requestBody());
            List<SseChunk> events = SseParser.parseAll(raw.body());
            assertThat(events.get(events.size() - 1)).as("the error event, unchanged, ends the stream")
                    .isEqualTo(new SseChunk.Data(upstreamError));
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aJsonAnswerToTheStreamRequestIsStreamedAsInSynthesizeMode(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture whole = Fixture.load("new", "tool-call-nonstream");
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(whole))) {
            ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), true);

            assertSameMessage(whole.name(), completion, ChatResponse.parse(whole.body()));
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void anErrorAnswerReachesTheClientAsItCame(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture refused = Fixture.load("old", "tool-call-stream-refused");
        try (Downstream.Setup setup = start(kind, downstream, Routes.always(refused))) {
            HttpResponse<byte[]> response = Http.postJson(setup.container().baseUri().resolve("/v1/chat/completions"),
                    refused.requestBody());

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).isEqualTo(refused.body());
            assertThat(setup.upstreamRequests()).hasSize(1);
        }
    }

    static Stream<Arguments> waitingDownstreams() {
        return Stream.of(ServletContainer.Kind.values()).flatMap(kind -> Stream.of(
                Arguments.of(kind, Downstream.ASYNC), Arguments.of(kind, Downstream.DISPATCH), Arguments.of(kind, Downstream.PROXY)));
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("waitingDownstreams")
    void keepAliveCommentsComeWhileTheModelServerIsSilentThenItsRepairedStream(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        Fixture nativeStream = Fixture.load("new", "tool-call-native-stream");
        ShimSettings settings = ShimSettings.builder().mode(Mode.REPAIR).heartbeat(Duration.ofMillis(200)).build();
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(settings),
                Routes.always(Reply.of(nativeStream).after(Duration.ofMillis(900))), 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), nativeStream.requestBody());

            String body = new String(response.body(), StandardCharsets.UTF_8);
            String repaired = new String(StreamRepairer.repair(nativeStream.body(), false), StandardCharsets.UTF_8);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(body).startsWith(": keep-alive\n\n: keep-alive\n\n").endsWith(repaired);
            assertThat(body.substring(0, body.length() - repaired.length())).matches("(: keep-alive\n\n)+");
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("waitingDownstreams")
    void afterKeepAliveCommentsAutoStillAsksARefusingServerAgainAndStreamsItsAnswer(ServletContainer.Kind kind,
            Downstream downstream) throws Exception {
        ShimSettings settings = ShimSettings.builder().mode(Mode.AUTO).heartbeat(Duration.ofMillis(200)).build();
        Function<RecordedRequest, Reply> slowOldServer = request -> Routes.llamaServer("old").apply(request).after(Duration.ofMillis(500));
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(settings), slowOldServer, 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), Fixture.load("new", "tool-call-native-stream").requestBody());

            String body = new String(response.body(), StandardCharsets.UTF_8);
            String synthesized = new String(new StreamSynthesizer(ChunkingPolicy.defaults())
                    .toBytes(ChatResponse.parse(Fixture.load("old", "tool-call-nonstream").body()), false), StandardCharsets.UTF_8);
            assertThat(body).startsWith(": keep-alive\n\n").endsWith(synthesized);
            assertThat(body.substring(0, body.length() - synthesized.length())).matches("(: keep-alive\n\n)+");
            assertThat(setup.upstreamRequests()).hasSize(2);
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aStreamThatBreaksOffEndsWithAnErrorEventThatSaysSo(ServletContainer.Kind kind) throws Exception {
        Fixture nativeStream = Fixture.load("new", "tool-call-native-stream");
        byte[] half = Arrays.copyOf(nativeStream.body(), nativeStream.body().length / 2);
        try (Downstream.Setup setup = start(kind, Downstream.PROXY, Routes.always(nativeStream))) {
            setup.upstream().route("POST", "/v1/chat/completions", (request, response, callback) -> {
                response.setStatus(200);
                response.getHeaders().put("Content-Type", "text/event-stream");
                response.write(false, ByteBuffer.wrap(half),
                        Callback.from(() -> callback.failed(new IOException("the model server crashed")), callback::failed));
            });

            HttpResponse<byte[]> response = Http.postJson(chat(setup), nativeStream.requestBody());

            List<SseChunk> events = SseParser.parseAll(response.body());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(events).doesNotContain(new SseChunk.Done());
            JsonNode error = JSON.readTree(((SseChunk.Data) events.get(events.size() - 1)).data()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("upstream_stream_incomplete");
            assertThat(error.path("type").asText()).isEqualTo("upstream_error");
            assertThat(error.path("message").asText()).contains("broke off");
            assertThatThrownBy(() -> OpenAiJava.streamToolCall(setup.container().baseUri(), false)).hasMessageContaining("broke off");
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void anEventThatIsNotJsonEndsTheStreamWithAnErrorEventAndAbortsTheModelServersStream(ServletContainer.Kind kind)
            throws Exception {
        byte[] garbage = "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: <html>oops\n\n"
                .getBytes(StandardCharsets.UTF_8);
        try (Downstream.Setup setup = start(kind, Downstream.PROXY,
                Routes.always(Reply.of(200, "text/event-stream", garbage).eventByEvent(Duration.ZERO)))) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), Fixture.load("new", "tool-call-native-stream").requestBody());

            List<SseChunk> events = SseParser.parseAll(response.body());
            JsonNode error = JSON.readTree(((SseChunk.Data) events.get(events.size() - 1)).data()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_upstream_stream");
            assertThat(events).doesNotContain(new SseChunk.Done());
        }
    }

    /** The SDK's accumulated completion carries the same text, tool calls and finish reasons as {@code expected}. */
    static void assertSameMessage(String what, ChatCompletion completion, ChatResponse expected) {
        assertThat(completion.choices()).as(what).hasSameSizeAs(expected.choices());
        for (int i = 0; i < expected.choices().size(); i++) {
            Choice want = expected.choices().get(i);
            ChatCompletion.Choice got = completion.choices().get(i);
            String content = want.message().content();
            assertThat(got.message().content().orElse(null)).as(what).isEqualTo(content);
            List<ToolCall> wantCalls = want.message().toolCalls();
            List<ChatCompletionMessageToolCall> gotCalls = got.message().toolCalls().orElse(List.of());
            assertThat(gotCalls).as(what).hasSameSizeAs(wantCalls);
            for (int c = 0; c < wantCalls.size(); c++) {
                ChatCompletionMessageFunctionToolCall call = gotCalls.get(c).asFunction();
                assertThat(call.id()).as(what).isEqualTo(wantCalls.get(c).id());
                assertThat(call.function().name()).as(what).isEqualTo(wantCalls.get(c).name());
                assertThat(call.function().arguments()).as(what).isEqualTo(wantCalls.get(c).arguments());
            }
            assertThat(got.finishReason().asString()).as(what).isEqualTo(want.effectiveFinishReason());
        }
    }

    static URI chat(Downstream.Setup setup) {
        return setup.container().baseUri().resolve("/v1/chat/completions");
    }
}
