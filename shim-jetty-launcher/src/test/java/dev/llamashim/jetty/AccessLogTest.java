package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One log line per request, with what an operator needs and nothing a client would not want logged. */
class AccessLogTest {

    private static final String TOOLS_REQUEST = "{\"model\":\"tiny\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";

    private FakeLlamaServer upstream;
    private LogCapture log;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeLlamaServer.start();
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")));
        upstream.route("POST", "/v1/chat/completions", Reply.of(Fixture.load("new", "tool-call-nonstream")));
        log = LogCapture.start();
    }

    @AfterEach
    void stop() throws Exception {
        log.close();
        upstream.close();
    }

    @Test
    void eachRequestGetsOneLineWithMethodPathShimmedStatusAndTimes() throws Exception {
        try (RunningLauncher launcher = start(LogLevel.INFO)) {
            Http.getText(launcher.uri().resolve("/v1/models?limit=1"));
            Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), TOOLS_REQUEST);
            Http.getText(launcher.uri().resolve("/llamashim/health"));

            List<String> lines = accessLines(3);
            assertThat(lines.get(0)).matches("GET /v1/models shimmed=false status=200 upstream_ms=\\d+ total_ms=\\d+ mode=passed_through");
            assertThat(lines.get(1)).matches("POST /v1/chat/completions shimmed=true status=200 upstream_ms=\\d+ total_ms=\\d+ mode=synthesized");
            assertThat(lines.get(2)).matches("GET /llamashim/health shimmed=false status=200 upstream_ms=- total_ms=\\d+ mode=-");
        }
    }

    @Test
    void authorizationHeadersAndApiKeysNeverReachTheLogEvenAtDebug() throws Exception {
        String[] secrets = {"sk-live-AUTHORIZATION-SECRET", "API-KEY-HEADER-SECRET", "QUERY-KEY-SECRET", "PROXY-AUTH-SECRET"};
        String[] headers = {"Authorization", "Bearer " + secrets[0], "X-Api-Key", secrets[1], "Proxy-Authorization",
                "Basic " + secrets[3]};
        try (RunningLauncher launcher = start(LogLevel.DEBUG)) {
            HttpResponse<String> models = Http.getText(launcher.uri().resolve("/v1/models?api_key=" + secrets[2]), headers);
            HttpResponse<String> shimmed = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions?key=" + secrets[2]),
                    TOOLS_REQUEST, headers);
            HttpResponse<String> missing = Http.getText(launcher.uri().resolve("/v1/nothing-here?key=" + secrets[2]), headers);

            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(shimmed.statusCode()).isEqualTo(200);
            assertThat(missing.statusCode()).isEqualTo(404);
            accessLines(3);
        }
        assertThat(upstream.requests().get(0).header("Authorization")).isEqualTo("Bearer " + secrets[0]);
        String everything = log.text();
        assertThat(everything).contains("DEBUG dev.llamashim.jetty.UpstreamProxyServlet - forwarding GET /v1/models to");
        for (String secret : secrets) {
            assertThat(everything).doesNotContain(secret);
        }
    }

    @Test
    void logLevelWarningSilencesTheRequestLines() throws Exception {
        try (RunningLauncher launcher = start(LogLevel.WARN)) {
            Http.getText(launcher.uri().resolve("/v1/models"));
        }
        assertThat(log.messagesOf(AccessLogHandler.LOGGER_NAME)).isEmpty();
        assertThat(log.lines()).allSatisfy(line -> assertThat(line).startsWith("WARN"));
    }

    private List<String> accessLines(int count) throws InterruptedException {
        // The line is written when the exchange completes, which can be just after the client has its answer.
        Eventually.await(count + " access log lines", Duration.ofSeconds(5),
                () -> log.messagesOf(AccessLogHandler.LOGGER_NAME).size() >= count);
        return log.messagesOf(AccessLogHandler.LOGGER_NAME);
    }

    private RunningLauncher start(LogLevel level) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).logLevel(level).build());
    }
}
