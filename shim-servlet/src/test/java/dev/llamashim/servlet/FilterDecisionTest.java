package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which requests the filter takes, which it leaves alone, and what it refuses — in both containers. */
class FilterDecisionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");
    private static final byte[] STREAM_WITH_TOOLS = Fixture.load("new", "tool-call-native-stream").requestBody();

    private static Downstream.Setup start(ServletContainer.Kind kind, ShimSettings settings, Reply reply) {
        return Downstream.SYNC.start(kind, new ToolStreamFilter(settings), Routes.always(reply), 16);
    }

    private static URI chat(Downstream.Setup setup) {
        return setup.container().baseUri().resolve("/v1/chat/completions");
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aBodyOverTheLimitIs413AndNeverReachesTheModelServer(ServletContainer.Kind kind) throws Exception {
        ShimSettings settings = ShimSettings.builder().maxBodyBytes(1024).build();
        try (Downstream.Setup setup = start(kind, settings, Reply.of(TOOL_CALL))) {
            byte[] big = new byte[4096];
            Arrays.fill(big, (byte) ' ');
            System.arraycopy(STREAM_WITH_TOOLS, 0, big, 0, Math.min(STREAM_WITH_TOOLS.length, 1000));

            HttpResponse<byte[]> response = Http.postJson(chat(setup), big);

            assertThat(response.statusCode()).isEqualTo(413);
            JsonNode error = JSON.readTree(response.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("request_too_large");
            assertThat(error.get("message").asText()).contains("max-body-bytes").contains("1024");
            assertThat(setup.upstreamRequests()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Downstream.class)
    void anAnswerOverTheLimitIs502AndNotHeldInMemory(Downstream downstream) throws Exception {
        ShimSettings settings = ShimSettings.builder().maxResponseBytes(256).build();
        try (Downstream.Setup setup = downstream.start(ServletContainer.Kind.JETTY, new ToolStreamFilter(settings),
                Routes.always(Reply.of(TOOL_CALL)), 16)) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), STREAM_WITH_TOOLS);

            assertThat(response.statusCode()).isEqualTo(502);
            JsonNode error = JSON.readTree(response.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("upstream_response_too_large");
            assertThat(error.get("message").asText()).contains("max-response-bytes");
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void bodiesItCannotReadAsAStreamingRequestGoDownUntouched(ServletContainer.Kind kind) throws Exception {
        Reply upstreamSays = Reply.json(400, "{\"error\":{\"code\":400,\"message\":\"bad\",\"type\":\"invalid_request_error\"}}");
        try (Downstream.Setup setup = start(kind, ShimSettings.defaults(), upstreamSays)) {
            byte[][] bodies = {
                "{\"stream\": true, \"tools\": [".getBytes(StandardCharsets.UTF_8),
                "[1, 2, 3]".getBytes(StandardCharsets.UTF_8),
                "{\"stream\": \"yes\", \"tools\": [{\"type\":\"function\"}]}".getBytes(StandardCharsets.UTF_8),
                "{\"stream\": true, \"tools\": []}".getBytes(StandardCharsets.UTF_8),
            };
            for (byte[] body : bodies) {
                HttpResponse<byte[]> response = Http.postJson(chat(setup), body);
                assertThat(response.statusCode()).isEqualTo(400);
                assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("\"message\":\"bad\"");
            }
            for (int i = 0; i < bodies.length; i++) {
                assertThat(setup.upstreamRequests().get(i).body()).isEqualTo(bodies[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void simulateWhenAlwaysShimsAPlainStreamingChat(ServletContainer.Kind kind) throws Exception {
        Fixture content = Fixture.load("new", "content-nonstream");
        ShimSettings settings = ShimSettings.builder().simulateWhen(SimulateWhen.ALWAYS).chunkSize(5).build();
        try (Downstream.Setup setup = start(kind, settings, Reply.of(content))) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), Fixture.load("new", "content-native-stream").requestBody());

            assertThat(response.statusCode()).isEqualTo(200);
            byte[] expected = new StreamSynthesizer(ChunkingPolicy.byCodePoints(5)).toBytes(ChatResponse.parse(content.body()), true);
            assertThat(response.body()).isEqualTo(expected);
            StreamContract.assertConforms(response.body(), true);
            assertThat(setup.upstreamRequests().get(0).json().get("stream").asBoolean()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aStreamingChatWithoutToolsIsLeftToTheModelServerByDefault(ServletContainer.Kind kind) throws Exception {
        Fixture stream = Fixture.load("new", "content-native-stream");
        try (Downstream.Setup setup = start(kind, ShimSettings.defaults(), Reply.of(stream))) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), stream.requestBody());

            assertThat(response.body()).isEqualTo(stream.body());
            assertThat(setup.upstreamRequests().get(0).body()).isEqualTo(stream.requestBody());
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aTwoHundredThatIsNotJsonIsForwardedAsItCame(ServletContainer.Kind kind) throws Exception {
        byte[] page = "<html><body>maintenance</body></html>".getBytes(StandardCharsets.UTF_8);
        try (Downstream.Setup setup = start(kind, ShimSettings.defaults(), Reply.of(200, "text/html; charset=utf-8", page))) {
            HttpResponse<byte[]> response = Http.postJson(chat(setup), STREAM_WITH_TOOLS);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
            assertThat(response.body()).isEqualTo(page);
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void otherPathsAreNeverRead(ServletContainer.Kind kind) throws Exception {
        byte[] embeddings = "{\"input\":\"hello\",\"stream\":true,\"tools\":[{}]}".getBytes(StandardCharsets.UTF_8);
        try (Downstream.Setup setup = start(kind, ShimSettings.defaults(), Reply.json(200, "{\"data\":[]}"))) {
            HttpResponse<byte[]> response = Http.postJson(setup.container().baseUri().resolve("/v1/embeddings"), embeddings);

            assertThat(response.body()).isEqualTo("{\"data\":[]}".getBytes(StandardCharsets.UTF_8));
            assertThat(setup.upstreamRequests().get(0).body()).isEqualTo(embeddings);
        }
    }
}
