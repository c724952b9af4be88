package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.RawUpstream;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When the upstream is slow, gone or breaks off, the client gets an OpenAI-shaped 504 or 502. */
class UpstreamFailureTest {

    private static final String TOOLS_REQUEST = "{\"model\":\"tiny\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";

    private final CountDownLatch release = new CountDownLatch(1);
    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeLlamaServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (launcher != null) {
            launcher.close();
        }
        upstream.close();
    }

    @Test
    void anUpstreamSilentForRequestTimeoutGetsA504AndTheUpstreamExchangeIsClosed() throws Exception {
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")).after(Duration.ofMillis(1_500)));
        launcher = start(upstream.baseUri(), Duration.ofMillis(800));

        long started = System.nanoTime();
        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"the model server did not answer within 0.8 "
                + "seconds (request_timeout)\",\"type\":\"upstream_timeout\",\"code\":\"upstream_timeout\"}}");
        assertThat(tookMillis).isBetween(700L, 5_000L);

        // When the upstream finally answers, nobody is listening: the launcher dropped the
        // connection instead of keeping the exchange (and a pooled connection) alive.
        Eventually.await("the upstream connection to close", Duration.ofSeconds(5), () -> upstream.openConnections() == 0);
    }

    @Test
    void aShimmedRequestWhoseUpstreamTimesOutGetsThe504Too() throws Exception {
        upstream.route("POST", "/v1/chat/completions", Reply.of(Fixture.load("new", "tool-call-nonstream")).after(Duration.ofSeconds(2)));
        launcher = start(upstream.baseUri(), Duration.ofMillis(500));

        HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), TOOLS_REQUEST);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("\"type\":\"upstream_timeout\"", "\"code\":\"upstream_timeout\"");
        assertThat(upstream.onlyRequest().bodyText()).as("the upstream was asked for one JSON answer")
                .contains("\"stream\":false");
    }

    @Test
    void aStreamThatStallsLongerThanRequestTimeoutIsCutOffNotCompleted() throws Exception {
        upstream.route("POST", "/completion", (request, response, callback) -> {
            response.getHeaders().put("Content-Type", "text/event-stream");
            FutureCallback written = new FutureCallback();
            response.write(false, ByteBuffer.wrap("data: {\"content\":\"a\"}\n\n".getBytes(StandardCharsets.UTF_8)), written);
            written.get(5, TimeUnit.SECONDS);
            release.await(10, TimeUnit.SECONDS);
            callback.succeeded();
        });
        launcher = start(upstream.baseUri(), Duration.ofMillis(500));

        HttpResponse<InputStream> response = Http.client().send(
                Http.jsonPost(launcher.uri().resolve("/completion"), "{\"stream\":true}".getBytes(StandardCharsets.UTF_8)),
                HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).isEqualTo("data: {\"content\":\"a\"}");
            assertThat(reader.readLine()).isEmpty();
            // The client must learn the answer is broken: the connection is aborted, not ended cleanly.
            assertThatThrownBy(reader::readLine).isInstanceOf(IOException.class);
        }
    }

    @Test
    void anUpstreamThatRefusesConnectionsGetsA502() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            // Held while the launcher starts, so the launcher cannot get this port and forward to itself.
            launcher = start(URI.create("http://127.0.0.1:" + socket.getLocalPort()), Duration.ofSeconds(5));
        }

        HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/embeddings"), "{\"input\":\"x\"}");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"llamashim could not connect to the model server\","
                + "\"type\":\"upstream_error\",\"code\":\"upstream_error\"}}");
    }

    @Test
    void anUpstreamThatBreaksOffBeforeAnsweringGetsA502() throws Exception {
        upstream.route("GET", "/v1/models", (request, response, callback) -> {
            // Like a model server that crashes mid-request: the connection just closes.
            response.getRequest().getConnectionMetaData().getConnection().getEndPoint().close();
            callback.failed(new IOException("crashed"));
        });
        launcher = start(upstream.baseUri(), Duration.ofSeconds(5));

        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("\"type\":\"upstream_error\"", "\"code\":\"upstream_error\"");
    }

    @Test
    void aShimmedRequestWhoseAnswerStopsShortOfItsContentLengthGetsA502SayingItWasIncomplete() throws Exception {
        byte[] body = Fixture.load("new", "tool-call-nonstream").body();
        try (RawUpstream raw = RawUpstream.start((head, socket, out) -> {
            RawUpstream.send(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n");
            out.write(body, 0, body.length / 2);
            out.flush();
        })) {
            launcher = start(raw.baseUri(), Duration.ofSeconds(5));

            HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), TOOLS_REQUEST);

            assertIncompleteAnswer(response);
            assertThat(raw.requests()).isEqualTo(1);
        }
    }

    @Test
    void aShimmedRequestWhoseChunkedAnswerIsResetMidBodyGetsTheSame502() throws Exception {
        try (RawUpstream raw = RawUpstream.start((head, socket, out) -> {
            RawUpstream.send(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "20\r\n{\"choices\":[{\"index\":0,\"message\":{\r\n");
            RawUpstream.reset(socket);
        })) {
            launcher = start(raw.baseUri(), Duration.ofSeconds(5));

            HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), TOOLS_REQUEST);

            assertIncompleteAnswer(response);
        }
    }

    @Test
    void aPassThroughAnswerCutShortBeforeAnyOfItReachedTheClientGetsTheSame502() throws Exception {
        // A non-streamed answer smaller than the output buffer: nothing has gone to the client when it breaks off.
        byte[] body = Fixture.load("new", "content-nonstream").body();
        try (RawUpstream raw = RawUpstream.start((head, socket, out) -> {
            RawUpstream.send(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (body.length + 100) + "\r\n\r\n");
            out.write(body);
            out.flush();
        })) {
            launcher = start(raw.baseUri(), Duration.ofSeconds(5));

            HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"),
                    "{\"model\":\"tiny\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

            assertIncompleteAnswer(response);
        }
    }

    private static void assertIncompleteAnswer(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        JsonNode error = new ObjectMapper().readTree(response.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("upstream_error");
        assertThat(error.path("code").asText()).isEqualTo("upstream_error");
        assertThat(error.path("message").asText()).isEqualTo(
                "the model server's answer was incomplete: the connection broke off before the whole body arrived");
    }

    private static RunningLauncher start(URI target, Duration requestTimeout) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(target).requestTimeout(requestTimeout).build());
    }
}
