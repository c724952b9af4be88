package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code max_upstream_connections} and {@code max_upstream_queue} bound what the proxy holds for the
 * model server, and {@code max_response_bytes} what it holds of one answer.
 */
class UpstreamLimitsTest {

    @Test
    void pastTheConnectionsAndTheQueueARequestGets502AtOnce() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")).after(Duration.ofMillis(1_500)));
            try (RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri())
                    .maxUpstreamConnections(1).maxUpstreamQueue(1).build())) {
                HttpClient client = HttpClient.newHttpClient();
                HttpRequest models = HttpRequest.newBuilder(launcher.uri().resolve("/v1/models")).build();
                List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
                answers.add(client.sendAsync(models, HttpResponse.BodyHandlers.ofString()));
                // The first holds the connection once the model server has it (until then it is queued).
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (upstream.requests().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                for (int i = 1; i < 3; i++) {
                    answers.add(client.sendAsync(models, HttpResponse.BodyHandlers.ofString()));
                    // In order: the second takes the queue's one place.
                    Thread.sleep(200);
                }

                List<Integer> statuses = new ArrayList<>();
                for (CompletableFuture<HttpResponse<String>> answer : answers) {
                    statuses.add(answer.get().statusCode());
                }

                assertThat(statuses).containsExactly(200, 200, 502);
                assertThat(answers.get(2).get().body()).contains("\"code\":\"upstream_error\"");
            }
        }
    }

    @Test
    void aShimmedAnswerLargerThanMaxResponseBytesGetsAnOpenAi502AndTheModelServersAnswerIsDropped() throws Exception {
        Fixture answer = Fixture.load("new", "tool-call-nonstream");
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("POST", "/v1/chat/completions", Reply.of(answer));
            try (RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri())
                    .maxResponseBytes(answer.body().length / 2).build())) {
                HttpResponse<byte[]> raw = Http.postJson(launcher.uri().resolve("/v1/chat/completions"),
                        Fixture.load("new", "tool-call-native-stream").requestBody());
                String body = new String(raw.body(), StandardCharsets.UTF_8);

                assertThat(raw.statusCode()).isEqualTo(502);
                assertThat(raw.headers().firstValue("Content-Type")).hasValueSatisfying(
                        type -> assertThat(type).startsWith("application/json"));
                assertThat(body).contains("\"code\":\"upstream_response_too_large\"");
                assertThat(upstream.onlyRequest().json().path("stream").asBoolean()).isFalse();
            }
        }
    }
}
