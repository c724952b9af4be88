package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Everything that is not a shimmed request reaches the upstream and comes back as it was. */
class PassThroughTest {

    private static FakeLlamaServer upstream;
    private static RunningLauncher launcher;

    @BeforeAll
    static void start() throws Exception {
        upstream = FakeLlamaServer.start();
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());
    }

    @AfterAll
    static void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    @BeforeEach
    void forgetEarlierTests() {
        upstream.reset();
    }

    @Test
    void getModelsComesBackByteForByteWithItsStatusAndContentType() throws Exception {
        Fixture models = Fixture.load("new", "models");
        upstream.route("GET", "/v1/models", Reply.of(models));

        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(models.bodyText());
        // The servlet API re-renders Content-Type without the space; the media type and charset are kept.
        assertThat(response.headers().firstValue("Content-Type").orElseThrow().replace(" ", ""))
                .isEqualToIgnoringCase("application/json;charset=utf-8");
        assertThat(response.headers().firstValue("Server")).contains("llama.cpp");
        assertThat(upstream.onlyRequest().path()).isEqualTo("/v1/models");
    }

    @Test
    void pathAndQueryAreKeptHostIsRewrittenAndForwardingHeadersAdded() throws Exception {
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("old", "models")));

        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models?limit=5&name=a%20b"),
                "X-Forwarded-For", "10.1.2.3", "Authorization", "Bearer sk-upstream-key");

        assertThat(response.statusCode()).isEqualTo(200);
        RecordedRequest received = upstream.onlyRequest();
        assertThat(received.path()).isEqualTo("/v1/models?limit=5&name=a%20b");
        assertThat(received.header("Host")).isEqualTo("127.0.0.1:" + upstream.baseUri().getPort());
        assertThat(received.header("X-Forwarded-For")).isEqualTo("10.1.2.3, 127.0.0.1");
        assertThat(received.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(received.header("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + launcher.port());
        assertThat(received.header("Authorization")).as("the client's API key reaches the upstream")
                .isEqualTo("Bearer sk-upstream-key");
    }

    @Test
    void aPathInTargetUrlPrefixesEveryForwardedPath() throws Exception {
        upstream.route("GET", "/llama/v1/models", Reply.of(Fixture.load("new", "models")));

        try (RunningLauncher prefixed = Launcher.start(LauncherConfig.builder().proxyPort(0)
                .targetUrl(URI.create(upstream.baseUri() + "/llama")).build())) {
            HttpResponse<String> response = Http.getText(prefixed.uri().resolve("/v1/models?x=1"));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(upstream.onlyRequest().path()).isEqualTo("/llama/v1/models?x=1");
        }
    }

    @Test
    void postEmbeddingsIsForwardedWithItsBodyAndAnswered() throws Exception {
        String answer = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,-0.5]}],"
                + "\"model\":\"tiny.gguf\",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}";
        upstream.route("POST", "/v1/embeddings", Reply.json(200, answer));
        String body = "{\"model\":\"tiny\",\"input\":\"hello world\"}";

        HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/embeddings"), body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(answer);
        assertThat(upstream.onlyRequest().bodyText()).isEqualTo(body);
        assertThat(upstream.onlyRequest().header("Content-Type")).isEqualTo("application/json");
    }

    @Test
    void upstreamErrorsComeBackAsTheyCame() throws Exception {
        Fixture notFound = Fixture.load("new", "error-unknown-path");
        upstream.route("GET", "/v1/does-not-exist", Reply.of(notFound));

        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/does-not-exist"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo(notFound.bodyText());
    }

    @Test
    void nativeCompletionSseReachesTheClientEventByEventAsTheUpstreamSendsIt() throws Exception {
        assertFirstEventsArriveBeforeTheRestIsSent(1);
    }

    @Test
    void eventsSentTogetherReachTheClientBeforeTheUpstreamSendsMore() throws Exception {
        // One chunk per event, back to back: the launcher may read several at once, and must not
        // hold any of them back for what comes next.
        assertFirstEventsArriveBeforeTheRestIsSent(
                sseEvents(Fixture.load("new", "content-native-stream")).size() - 2);
    }

    /**
     * The upstream sends the stream's first {@code sentFirst} events, waits until the client has
     * them all (or gives up after a while), then sends the rest: had the launcher held any back,
     * the client would see them only once more was sent.
     */
    private void assertFirstEventsArriveBeforeTheRestIsSent(int sentFirst) throws Exception {
        List<String> events = sseEvents(Fixture.load("new", "content-native-stream"));
        CountDownLatch clientSawThem = new CountDownLatch(1);
        AtomicLong restSentAt = new AtomicLong();
        upstream.route("POST", "/completion", (request, response, callback) -> {
            response.getHeaders().put("Content-Type", "text/event-stream");
            for (int i = 0; i < sentFirst; i++) {
                write(response, false, events.get(i));
            }
            clientSawThem.await(5, TimeUnit.SECONDS);
            Thread.sleep(300);
            restSentAt.set(System.nanoTime());
            for (int i = sentFirst; i < events.size(); i++) {
                write(response, false, events.get(i));
            }
            response.write(true, ByteBuffer.allocate(0), callback);
        });

        HttpResponse<InputStream> response = Http.client().send(
                Http.jsonPost(launcher.uri().resolve("/completion"),
                        "{\"prompt\":\"hi\",\"stream\":true}".getBytes(StandardCharsets.UTF_8)),
                HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("text/event-stream");
        AtomicLong sawThemAt = new AtomicLong();
        List<String> received = readEvents(response.body(), sentFirst, () -> {
            sawThemAt.set(System.nanoTime());
            clientSawThem.countDown();
        });
        assertThat(received).containsExactlyElementsOf(events);
        assertThat(sawThemAt.get()).as("the first %d events arrived before the rest was sent", sentFirst)
                .isLessThan(restSentAt.get());
    }

    @Test
    void anEventStreamWithAContentLengthArrivesWhole() throws Exception {
        String stream = Fixture.load("new", "content-native-stream").bodyText();
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        upstream.route("POST", "/completion", (request, response, callback) -> {
            response.getHeaders().put("Content-Type", "text/event-stream");
            response.getHeaders().put("Content-Length", bytes.length);
            // The last piece carries bytes, not only the end.
            int half = bytes.length / 2;
            FutureCallback first = new FutureCallback();
            response.write(false, ByteBuffer.wrap(bytes, 0, half), first);
            first.get(5, TimeUnit.SECONDS);
            response.write(true, ByteBuffer.wrap(bytes, half, bytes.length - half), callback);
        });

        HttpResponse<String> response = Http.client().send(
                Http.jsonPost(launcher.uri().resolve("/completion"),
                        "{\"prompt\":\"hi\",\"stream\":true}".getBytes(StandardCharsets.UTF_8)),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(stream);
    }

    @Test
    void plainChatStreamingWithoutToolsIsNotShimmedButStreamedNatively() throws Exception {
        Fixture stream = Fixture.load("new", "content-native-stream");
        upstream.route("POST", "/v1/chat/completions", Reply.of(stream));
        String body = "{\"model\":\"tiny\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(stream.bodyText());
        assertThat(upstream.onlyRequest().bodyText()).isEqualTo(body);
    }

    @Test
    void healthAnswersWithoutCallingTheUpstream() throws Exception {
        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/llamashim/health"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(upstream.requests()).isEmpty();
    }

    private static List<String> sseEvents(Fixture fixture) {
        List<String> events = new ArrayList<>();
        for (String event : fixture.bodyText().split("\n\n")) {
            if (!event.isBlank()) {
                events.add(event + "\n\n");
            }
        }
        return events;
    }

    private static void write(org.eclipse.jetty.server.Response response, boolean last, String text) throws Exception {
        FutureCallback written = new FutureCallback();
        response.write(last, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), written);
        written.get(5, TimeUnit.SECONDS);
    }

    /** Reads the client's event stream to its end, event by event; {@code onCount} runs as the {@code count}th arrives. */
    private static List<String> readEvents(InputStream body, int count, Runnable onCount) throws IOException {
        List<String> received = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            StringBuilder event = new StringBuilder();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                event.append(line).append('\n');
                if (line.isEmpty()) {
                    received.add(event.toString());
                    event.setLength(0);
                    if (received.size() == count) {
                        onCount.run();
                    }
                }
            }
        }
        return received;
    }
}
