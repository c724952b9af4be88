package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.PrometheusText;
import dev.llamashim.jetty.testing.SlowModel;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Routes;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code /llamashim/metrics} is a valid Prometheus text exposition whose llamashim counters move
 * as requests are made: by path class and outcome, upstream times as histograms, hang-ups, and
 * requests in flight back at zero.
 */
class MetricsTest {

    private static final String REQUESTS = "llamashim_requests_total";

    private static PrometheusText scrape(RunningLauncher launcher) {
        HttpResponse<String> response = Http.getText(launcher.uri().resolve(MetricsServlet.PATH));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/plain").contains("version=0.0.4"));
        return PrometheusText.parse(response.body());
    }

    private static LauncherConfig.Builder config(FakeLlamaServer upstream, Mode mode) {
        return LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).mode(mode).logLevel(LogLevel.WARN);
    }

    @Test
    void requestsAreCountedByPathClassAndOutcomeAndUpstreamTimesAreHistograms() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start(Routes.llamaServer("new"));
                RunningLauncher launcher = Launcher.start(config(upstream, Mode.AUTO).maxBodyBytes(2000).build())) {
            PrometheusText before = scrape(launcher);
            assertThat(before.value(REQUESTS, "path_class", "chat", "outcome", "repaired")).isZero();
            assertThat(before.typeOf("llamashim_upstream_first_byte_seconds")).isEqualTo("histogram");

            OpenAiJava.streamToolCall(launcher.uri(), true);
            OpenAiJava.streamToolCall(launcher.uri(), false);
            Http.getText(launcher.uri().resolve("/v1/models"));
            Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"),
                    "{\"stream\":true,\"tools\":[],\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(3000) + "\"}]}");

            Eventually.await("four requests counted", Duration.ofSeconds(5),
                    () -> scrape(launcher).samples().stream().filter(s -> s.name().equals(REQUESTS))
                            .mapToDouble(PrometheusText.Sample::value).sum() == 4);
            PrometheusText after = scrape(launcher);
            assertThat(after.typeOf(REQUESTS)).isEqualTo("counter");
            assertThat(after.value(REQUESTS, "path_class", "chat", "outcome", "repaired", "error", "none")).isEqualTo(2);
            assertThat(after.value(REQUESTS, "path_class", "other", "outcome", "passed_through", "error", "none")).isEqualTo(1);
            assertThat(after.value(REQUESTS, "path_class", "chat", "outcome", "error", "error", "request_too_large")).isEqualTo(1);
            assertThat(after.value("llamashim_requests_in_flight")).isZero();
            assertThat(after.value("llamashim_upstream_first_byte_seconds_count")).isEqualTo(3);
            assertThat(after.value("llamashim_upstream_seconds_count")).isEqualTo(3);
            assertThat(after.value("llamashim_upstream_seconds_bucket", "le", "+Inf")).isEqualTo(3);
            assertThat(after.value("llamashim_upstream_seconds_sum"))
                    .isGreaterThanOrEqualTo(after.value("llamashim_upstream_first_byte_seconds_sum"));
            assertThat(after.value("llamashim_client_hangups_total")).isZero();
        }
    }

    @Test
    void aRefusingServerCountsAsRetriedWithoutStreaming() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start(Routes.llamaServer("old"));
                RunningLauncher launcher = Launcher.start(config(upstream, Mode.AUTO).build())) {
            OpenAiJava.streamToolCall(launcher.uri(), true);
            OpenAiJava.streamToolCall(launcher.uri(), true);

            Eventually.await("two requests counted", Duration.ofSeconds(5),
                    () -> scrape(launcher).value(REQUESTS, "outcome", "synthesized") == 1);
            PrometheusText after = scrape(launcher);
            assertThat(after.value(REQUESTS, "path_class", "chat", "outcome", "retried_synthesized")).isEqualTo(1);
            assertThat(after.value("llamashim_upstream_seconds_count")).as("refused, asked again, asked for JSON").isEqualTo(3);
        }
    }

    @Test
    void aClientThatHangsUpIsCounted() throws Exception {
        AtomicLong modelStoppedAt = new AtomicLong();
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("POST", "/v1/chat/completions", SlowModel.stopsWhenItsConnectionCloses(Duration.ofSeconds(20),
                    Fixture.load("new", "tool-call-nonstream").body(), modelStoppedAt));
            try (RunningLauncher launcher = Launcher.start(config(upstream, Mode.SYNTHESIZE).build())) {
                byte[] body = Fixture.load("new", "tool-call-native-stream").requestBody();
                try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
                    OutputStream out = socket.getOutputStream();
                    Http.writeJsonPost(out, "/v1/chat/completions", body);
                    Eventually.await("the model to get the request", Duration.ofSeconds(5), () -> upstream.requests().size() == 1);
                    assertThat(scrape(launcher).value("llamashim_requests_in_flight")).isEqualTo(1);
                }
                Eventually.await("the hang-up counted", Duration.ofSeconds(5),
                        () -> scrape(launcher).value("llamashim_client_hangups_total") == 1);
                assertThat(scrape(launcher).value("llamashim_requests_in_flight")).isZero();
            }
        }
    }

    @Test
    void withMetricsOffThePathGoesToTheModelServer() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start(Routes.llamaServer("new"));
                RunningLauncher launcher = Launcher.start(config(upstream, Mode.AUTO).metrics(false).build())) {
            HttpResponse<String> response = Http.getText(launcher.uri().resolve(MetricsServlet.PATH));

            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(upstream.onlyRequest().path()).isEqualTo(MetricsServlet.PATH);
        }
    }

    @Test
    void theParserRejectsWhatBreaksTheFormat() {
        assertThatThrownBy(() -> PrometheusText.parse("a_total{x=\"1\" 1\n")).hasMessageContaining("line 1");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a counter\na_total 1\n# TYPE a counter\n"))
                .hasMessageContaining("a second TYPE");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE h histogram\nh_bucket 1\n")).hasMessageContaining("without le");
        assertThatThrownBy(() -> PrometheusText.parse("a 1\na 2\n")).hasMessageContaining("appeared before");
        assertThatThrownBy(() -> PrometheusText.parse("a one\n")).hasMessageContaining("bad value");
        assertThat(PrometheusText.parse("# TYPE a counter\na_total{x=\"q\\\"\\n\"} +Inf 17\n").value("a_total", "x", "q\"\n"))
                .isInfinite();
    }
}
