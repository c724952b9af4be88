package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.RepairReport;
import dev.llamashim.core.StreamRepairer;
import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.BrokenCorpus.BrokenCase;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.jetty.testing.PrometheusText;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.RepairCounts;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What llamashim mended in an answer, and why {@code auto} asked again, reach the access log line
 * ({@code mended=}, {@code extracted=}, {@code retry=}, {@code mode=normalized}) and the metrics
 * ({@code llamashim_repairs_total}, {@code llamashim_text_tool_calls_total}, {@code llamashim_retries_total}),
 * for broken answers from the corpus sent through the launcher.
 */
class RepairReportedTest {

    private static String accessLine(LogCapture log) throws InterruptedException {
        Eventually.await("the access log line", Duration.ofSeconds(5),
                () -> !log.messagesOf(AccessLogHandler.LOGGER_NAME).isEmpty());
        List<String> lines = log.messagesOf(AccessLogHandler.LOGGER_NAME);
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    private static PrometheusText scrape(RunningLauncher launcher) {
        return PrometheusText.parse(Http.getText(launcher.uri().resolve(MetricsServlet.PATH)).body());
    }

    /** What shim-core's repairer reports for the case's stream, as the filter labels it. */
    private static RepairCounts coreReport(BrokenCase broken) {
        StreamRepairer repairer = new StreamRepairer(broken.options(), bytes -> { });
        repairer.feed(broken.upstream(), 0, broken.upstream().length);
        repairer.finish();
        RepairReport report = repairer.report();
        assertThat(report.isEmpty()).as("the case has defects to mend").isFalse();
        return RepairCounts.of(report);
    }

    private static RunningLauncher start(FakeLlamaServer upstream, Mode mode, boolean normalizeNonStream) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).mode(mode)
                .normalizeNonStream(normalizeNonStream).logLevel(LogLevel.INFO).build());
    }

    @Test
    void aRepairedStreamSaysWhatWasMendedInTheLogAndTheMetrics() throws Exception {
        BrokenCase broken = BrokenCorpus.load("mlx-calls-without-index-or-id");
        RepairCounts expected = coreReport(broken);
        assertThat(expected.mended()).containsKey("missing_index");
        try (FakeLlamaServer upstream = FakeLlamaServer.start(request -> Reply.of(200, "text/event-stream", broken.upstream()));
                LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(upstream, Mode.REPAIR, false)) {
            HttpResponse<byte[]> answer = Http.postJson(launcher.uri().resolve("/v1/chat/completions"), broken.request());

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(accessLine(log)).endsWith("mode=repaired mended=" + RepairCounts.summary(expected.mended()));
            PrometheusText metrics = scrape(launcher);
            expected.mended().forEach((defect, count) ->
                    assertThat(metrics.value("llamashim_repairs_total", "defect", defect)).as(defect).isEqualTo(count.doubleValue()));
        }
    }

    @Test
    void aToolCallLeftAsHermesMarkupIsCountedAsExtracted() throws Exception {
        BrokenCase broken = BrokenCorpus.load("hermes-content");
        RepairCounts expected = coreReport(broken);
        assertThat(expected.extracted()).isEqualTo(Map.of("hermes", 1));
        try (FakeLlamaServer upstream = FakeLlamaServer.start(request -> Reply.of(200, "text/event-stream", broken.upstream()));
                LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(upstream, Mode.AUTO, false)) {
            HttpResponse<byte[]> answer = Http.postJson(launcher.uri().resolve("/v1/chat/completions"), broken.request());

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(new String(answer.body(), StandardCharsets.UTF_8)).contains("\"tool_calls\"");
            assertThat(accessLine(log)).contains("mode=repaired").endsWith(" extracted=hermes:1");
            assertThat(scrape(launcher).value("llamashim_text_tool_calls_total", "format", "hermes")).isEqualTo(1);
        }
    }

    @Test
    void aNormalizedJsonAnswerShowsItsModeAndWhatWasExtracted() throws Exception {
        BrokenCase broken = BrokenCorpus.load("lmstudio-hermes-nonstream");
        assertThat(broken.stream()).isFalse();
        try (FakeLlamaServer upstream = FakeLlamaServer.start(request -> Reply.of(200, "application/json", broken.upstream()));
                LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(upstream, Mode.AUTO, true)) {
            HttpResponse<byte[]> answer = Http.postJson(launcher.uri().resolve("/v1/chat/completions"), broken.request());

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(accessLine(log)).contains("shimmed=false").contains(" mode=normalized").contains(" extracted=hermes:1");
            PrometheusText metrics = scrape(launcher);
            assertThat(metrics.value("llamashim_requests_total", "path_class", "chat", "outcome", "normalized")).isEqualTo(1);
            assertThat(metrics.value("llamashim_text_tool_calls_total", "format", "hermes")).isEqualTo(1);
        }
    }

    @Test
    void autoSaysWhyItAskedAgainAndCountsTheRetryByReason() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start(Routes.llamaServer("old"));
                LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(upstream, Mode.AUTO, false)) {
            OpenAiJava.streamToolCall(launcher.uri(), true);

            assertThat(accessLine(log)).contains(" mode=retried_synthesized").endsWith(" retry=refused_to_stream");
            PrometheusText metrics = scrape(launcher);
            assertThat(metrics.value("llamashim_retries_total", "reason", "refused_to_stream")).isEqualTo(1);
        }
    }

    @Test
    void aJsonAnswerToAStreamRequestIsADeclinedRetryNotARetry() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start(Routes.always(Fixture.load("new", "tool-call-nonstream")));
                LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(upstream, Mode.AUTO, false)) {
            OpenAiJava.streamToolCall(launcher.uri(), true);

            assertThat(accessLine(log)).contains(" mode=synthesized").endsWith(" retry=not_an_error");
            PrometheusText metrics = scrape(launcher);
            assertThat(metrics.value("llamashim_retries_declined_total", "reason", "not_an_error")).isEqualTo(1);
            assertThat(metrics.samples()).noneMatch(sample -> sample.name().equals("llamashim_retries_total"));
        }
    }
}
