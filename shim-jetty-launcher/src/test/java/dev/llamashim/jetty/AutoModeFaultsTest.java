package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.jetty.testing.RawUpstream;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * In {@code mode: auto}, no fault of the model server makes the launcher ask it a second time:
 * silence past {@code request_timeout}, 502 and 503 (even in a refusal's words), a refused
 * connection, an answer that breaks off. Only a refusal to stream is asked again
 * ({@link ModesEndToEndTest} for llama-server b5478's).
 */
class AutoModeFaultsTest {

    private static final String TOOLS_REQUEST = "{\"model\":\"tiny\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";
    private static final Fixture REFUSAL = Fixture.load("old", "tool-call-stream-refused");

    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        if (launcher != null) {
            launcher.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static RunningLauncher start(URI target, Mode mode, Duration requestTimeout) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(target).mode(mode)
                .requestTimeout(requestTimeout).build());
    }

    private HttpResponse<String> askForAToolCall() {
        return Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), TOOLS_REQUEST);
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SYNTHESIZE", "AUTO"})
    void aSilentModelServerIsAskedOnceAndTheClientGetsThe504OfRequestTimeout(Mode mode) throws Exception {
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/v1/chat/completions", Reply.of(Fixture.load("new", "tool-call-nonstream")).after(Duration.ofSeconds(5)));
        launcher = start(upstream.baseUri(), mode, Duration.ofMillis(500));

        HttpResponse<String> response = askForAToolCall();

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"the model server did not answer within 0.5 seconds"
                + " (request_timeout)\",\"type\":\"upstream_timeout\",\"code\":\"upstream_timeout\"}}");
        assertThat(upstream.onlyRequest().json().path("stream").asBoolean()).isEqualTo(mode == Mode.AUTO);
    }

    @ParameterizedTest
    @ValueSource(ints = {502, 503})
    void aFailingOrOverloadedModelServerIsAskedOnceEvenInARefusalsWords(int status) throws Exception {
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/v1/chat/completions", Reply.json(status, new String(REFUSAL.body(), StandardCharsets.UTF_8)));
        launcher = start(upstream.baseUri(), Mode.AUTO, Duration.ofSeconds(10));

        HttpResponse<String> response = askForAToolCall();

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.body()).isEqualTo(new String(REFUSAL.body(), StandardCharsets.UTF_8));
        assertThat(upstream.onlyRequest().json().path("stream").asBoolean()).isTrue();
    }

    @Test
    void aModelServerThatRefusesConnectionsIsTriedOnce() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            // Held while the launcher starts, so the launcher cannot get this port and forward to itself.
            launcher = start(URI.create("http://127.0.0.1:" + socket.getLocalPort()), Mode.AUTO, Duration.ofSeconds(10));
        }
        try (LogCapture log = LogCapture.start()) {
            HttpResponse<String> response = askForAToolCall();

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(new ObjectMapper().readTree(response.body()).path("error").path("message").asText())
                    .isEqualTo("llamashim could not connect to the model server");
            assertThat(log.messagesOf(UpstreamProxyServlet.class.getName())).as("one failed attempt to forward")
                    .filteredOn(line -> line.contains("forwarding to")).hasSize(1);
        }
    }

    @Test
    void aRefusalCutOffMidBodyIsAnIncompleteAnswerNotARefusal() throws Exception {
        byte[] body = REFUSAL.body();
        try (RawUpstream raw = RawUpstream.start((head, socket, out) -> {
            RawUpstream.send(out, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json; charset=utf-8\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n");
            out.write(body, 0, body.length - 10);
            out.flush();
        })) {
            launcher = start(raw.baseUri(), Mode.AUTO, Duration.ofSeconds(10));

            HttpResponse<String> response = askForAToolCall();

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("the model server's answer was incomplete");
            assertThat(raw.requests()).isEqualTo(1);
        }
    }

    @Test
    void aStreamThatBreaksOffIsEndedWithAnErrorEventNotAskedAgain() throws Exception {
        try (RawUpstream raw = RawUpstream.start((head, socket, out) -> {
            RawUpstream.send(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            String event = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"tiny\","
                    + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";
            RawUpstream.send(out, Integer.toHexString(event.length()) + "\r\n" + event + "\r\n");
            RawUpstream.reset(socket);
        })) {
            launcher = start(raw.baseUri(), Mode.AUTO, Duration.ofSeconds(10));

            HttpResponse<String> response = askForAToolCall();

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"content\":\"Hel\"", "\"code\":\"upstream_stream_incomplete\"");
            assertThat(raw.requests()).isEqualTo(1);
        }
    }
}
