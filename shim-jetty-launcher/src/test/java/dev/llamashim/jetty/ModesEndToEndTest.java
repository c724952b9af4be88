package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.BrokenStream;
import dev.llamashim.core.testing.BrokenStream.Call;
import dev.llamashim.core.testing.BrokenStream.Defect;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.Callback;

import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code mode: repair} and {@code mode: auto} through the launcher, end to end with openai-java:
 * the old llama-server build (refuses to stream tool calls) and the new one (streams them) give the
 * client the same tool call, and a broken native stream reaches it mended, event by event.
 */
class ModesEndToEndTest {

    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    private void start(Mode mode, Function<RecordedRequest, Reply> route) {
        upstream = FakeLlamaServer.start(route);
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).mode(mode).build());
    }

    private List<Boolean> streamFlags() {
        return upstream.requests().stream().map(request -> request.json().path("stream").asBoolean(false)).toList();
    }

    @ParameterizedTest(name = "{0} build, include_usage={1}")
    @CsvSource({"old, false", "old, true", "new, false", "new, true"})
    void autoGivesOpenAiJavaTheToolCallFromEitherBuild(String build, boolean includeUsage) {
        start(Mode.AUTO, Routes.llamaServer(build));

        ChatCompletion completion = OpenAiJava.streamToolCall(launcher.uri(), includeUsage);

        ToolCall expected = ChatResponse.parse(Fixture.load(build, "tool-call-nonstream").body())
                .choices().get(0).message().toolCalls().get(0);
        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.function().name()).isEqualTo(expected.name());
        assertThat(call.function().arguments()).isEqualTo(expected.arguments());
        if (build.equals("new")) {
            ChatResponse nativeMessage = RoundTrip.accumulate(
                    Fixture.load("new", includeUsage ? "tool-call-native-stream-usage" : "tool-call-native-stream").body());
            assertThat(call.id()).isEqualTo(nativeMessage.choices().get(0).message().toolCalls().get(0).id());
            assertThat(streamFlags()).containsExactly(true);
        } else {
            assertThat(call.id()).isEqualTo(expected.id());
            assertThat(streamFlags()).containsExactly(true, false);
        }
        assertThat(completion.usage().isPresent()).isEqualTo(includeUsage);

        OpenAiJava.streamToolCall(launcher.uri(), includeUsage);
        assertThat(streamFlags()).as("the old build's refusal is remembered")
                .containsExactlyElementsOf(build.equals("new") ? List.of(true, true) : List.of(true, false, false));
    }

    @Test
    void repairMendsABrokenStreamAndSendsEachEventAsItArrives() throws Exception {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        BrokenStream broken = new BrokenStream("Looking it up.", List.of(
                new Call("get_weather", nodes.objectNode().put("location", "Paris").put("unit", "celsius"))),
                false, EnumSet.allOf(Defect.class), false, 4);
        Reply slow = Reply.of(200, "text/event-stream", broken.bytes()).eventByEvent(Duration.ofMillis(100));
        start(Mode.REPAIR, Routes.always(slow));

        ChatCompletion completion = OpenAiJava.streamToolCall(launcher.uri(), false);

        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(completion.choices().get(0).message().content()).hasValue("Looking it up.");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo(broken.calls().get(0).argumentsText());
        assertThat(upstream.onlyRequest().json().path("stream").asBoolean()).isTrue();

        List<Long> arrivals = Http.dataEventArrivalMillis(launcher.uri().resolve("/v1/chat/completions"),
                Fixture.load("new", "tool-call-native-stream").requestBody());
        long upstreamTime = 100L * (slow.parts().size() - 1);
        assertThat(arrivals.get(1)).as("second event's arrival (ms) of %s over %d ms", arrivals, upstreamTime)
                .isLessThan(upstreamTime / 2);
    }

    @Test
    void aRepairedStreamToAClientThatDoesNotReadHoldsTheModelServerBackAndArrivesWholeLater() throws Exception {
        BigNativeStream big = new BigNativeStream(200_000);
        start(Mode.REPAIR, Routes.always(Reply.json(404, "{}")));
        upstream.route("POST", "/v1/chat/completions", big);

        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", launcher.port()));
            slow.setSoTimeout(30_000);
            byte[] request = Fixture.load("new", "tool-call-native-stream").requestBody();
            OutputStream out = slow.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + request.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(request);
            out.flush();

            // Held back: what the model server could write stops growing while the client reads nothing.
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            long before;
            do {
                before = big.written.get();
                Thread.sleep(500);
            } while ((before == 0 || big.written.get() != before) && System.nanoTime() < deadline);
            assertThat(big.written.get()).as("bytes the model server could write while the client read nothing")
                    .isLessThan(big.total / 2);

            byte[] received = slow.getInputStream().readAllBytes();
            String text = new String(received, StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200 ");
            byte[] body = text.substring(text.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8);
            StreamContract.assertConforms(body, false);
            assertThat(RoundTrip.accumulate(body).choices().get(0).message().content()).hasSize(big.events * BigNativeStream.PIECE.length());
        }
    }

    /** A native stream of many content events, written one after the other as the connection takes them; counts what it could write. */
    private static final class BigNativeStream implements FakeLlamaServer.Writer {
        static final String PIECE = "llamashim ";
        private static final String ENVELOPE = "{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion.chunk\",\"created\":1795796153,"
                + "\"model\":\"tiny.gguf\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}";
        final int events;
        final long total;
        final AtomicLong written = new AtomicLong();

        BigNativeStream(int events) {
            this.events = events;
            this.total = (long) events * event("{\"content\":\"" + PIECE + "\"}", "null").length;
        }

        private static byte[] event(String delta, String finish) {
            return ("data: " + String.format(ENVELOPE, delta, finish) + "\n\n").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void write(RecordedRequest request, org.eclipse.jetty.server.Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put("Content-Type", "text/event-stream");
            next(response, 0, callback);
        }

        private void next(org.eclipse.jetty.server.Response response, int at, Callback callback) {
            if (at == events) {
                byte[] end = (new String(event("{}", "\"stop\""), StandardCharsets.UTF_8) + "data: [DONE]\n\n")
                        .getBytes(StandardCharsets.UTF_8);
                response.write(true, ByteBuffer.wrap(end), callback);
                return;
            }
            byte[] bytes = event(at == 0 ? "{\"role\":\"assistant\",\"content\":\"" + PIECE + "\"}" : "{\"content\":\"" + PIECE + "\"}", "null");
            response.write(false, ByteBuffer.wrap(bytes), Callback.from(() -> {
                written.addAndGet(bytes.length);
                next(response, at + 1, callback);
            }, callback::failed));
        }
    }
}
