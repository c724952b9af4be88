package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Heartbeats while the model is slow: the stream starts early, stays alive, and tells when the client is gone. */
class HeartbeatTest {

    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");
    private static final byte[] STREAM_WITH_TOOLS = Fixture.load("new", "tool-call-native-stream").requestBody();
    private static final ShimSettings FAST_HEARTBEATS = ShimSettings.builder().heartbeat(Duration.ofMillis(200)).build();

    static Stream<Arguments> waitingDownstreams() {
        return Stream.of(ServletContainer.Kind.values()).flatMap(kind ->
                Stream.of(Arguments.of(kind, Downstream.ASYNC), Arguments.of(kind, Downstream.DISPATCH)));
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("waitingDownstreams")
    void keepAliveCommentsComeWhileTheModelWorksThenTheWholeStream(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Reply slow = Reply.of(TOOL_CALL).after(Duration.ofMillis(900));
        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(FAST_HEARTBEATS), Routes.always(slow), 16)) {
            HttpResponse<byte[]> response = Http.postJson(setup.container().baseUri().resolve("/v1/chat/completions"), STREAM_WITH_TOOLS);

            String body = new String(response.body(), StandardCharsets.UTF_8);
            String synthesized = new String(new StreamSynthesizer(ChunkingPolicy.defaults())
                    .toBytes(ChatResponse.parse(TOOL_CALL.body()), false), StandardCharsets.UTF_8);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
            assertThat(body).startsWith(": keep-alive\n\n: keep-alive\n\n").endsWith(synthesized);
            assertThat(body.substring(0, body.length() - synthesized.length())).matches("(: keep-alive\n\n)+");
            StreamContract.assertConforms(response.body(), false);

            assertThat(OpenAiJava.streamToolCall(setup.container().baseUri(), false).choices().get(0).message().toolCalls().orElseThrow())
                    .hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void anErrorAfterTheStreamStartedArrivesAsAnErrorEventThenDone(ServletContainer.Kind kind) throws Exception {
        Fixture tooLong = Fixture.load("new", "error-prompt-too-long");
        Reply slowError = Reply.of(tooLong).after(Duration.ofMillis(700));
        try (Downstream.Setup setup = Downstream.ASYNC.start(kind, new ToolStreamFilter(FAST_HEARTBEATS), Routes.always(slowError), 16)) {
            HttpResponse<byte[]> response = Http.postJson(setup.container().baseUri().resolve("/v1/chat/completions"), STREAM_WITH_TOOLS);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).endsWith(
                    "data: " + tooLong.bodyText().strip() + "\n\ndata: [DONE]\n\n");

            assertThatThrownBy(() -> OpenAiJava.streamToolCall(setup.container().baseUri(), false))
                    .hasMessageContaining("exceeds the available context size");
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aClientThatHangsUpIsNoticedAndTheDownstreamIsTold(ServletContainer.Kind kind) throws Exception {
        Reply slow = Reply.of(TOOL_CALL).after(Duration.ofSeconds(4));
        try (Downstream.Setup setup = Downstream.ASYNC.start(kind, new ToolStreamFilter(FAST_HEARTBEATS), Routes.always(slow), 16)) {
            sendAndHangUp(setup);

            Eventually.await("the downstream's AsyncListener to hear onError", Duration.ofSeconds(3),
                    () -> setup.replay().clientErrors() == 1);
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aClientThatHangsUpMakesTheProxyAbortTheUpstreamExchange(ServletContainer.Kind kind) throws Exception {
        Reply slow = Reply.of(TOOL_CALL).after(Duration.ofSeconds(2)).inTwoHalves(Duration.ofMillis(300));
        try (Downstream.Setup setup = Downstream.PROXY.start(kind, new ToolStreamFilter(FAST_HEARTBEATS), Routes.always(slow), 16)) {
            sendAndHangUp(setup);

            Eventually.await("the model server's answer to find its connection closed by the proxy", Duration.ofSeconds(6),
                    () -> setup.upstream().failedExchanges() == 1);
        }
    }

    private static void sendAndHangUp(Downstream.Setup setup) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", setup.container().baseUri().getPort())) {
            Http.writeJsonPost(socket.getOutputStream(), "/v1/chat/completions", STREAM_WITH_TOOLS);
            Thread.sleep(300);
        }
    }
}
