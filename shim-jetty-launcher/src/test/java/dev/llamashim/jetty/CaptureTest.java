package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capture_dir} keeps what {@code capture_when} asks for, within its bounds, and never a secret. */
class CaptureTest {

    private static final String TOOLS = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}]}";
    private static final String[] SECRETS = {"sk-AUTHORIZATION-SECRET", "API-KEY-HEADER-SECRET", "QUERY-KEY-SECRET", "COOKIE-SECRET"};

    @TempDir
    Path dir;

    private RunningLauncher start(FakeLlamaServer upstream, CaptureWhen when, int maxRequests, long maxBytes) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).logLevel(LogLevel.WARN)
                .captureDir(dir.toString()).captureWhen(when).captureMaxRequests(maxRequests).captureMaxBytes(maxBytes).build());
    }

    private List<Path> captures() {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> chatWithSecrets(RunningLauncher launcher) {
        return Http.postJsonText(launcher.uri().resolve("/v1/chat/completions?api_key=" + SECRETS[2]), TOOLS,
                "Authorization", "Bearer " + SECRETS[0], "X-Api-Key", SECRETS[1], "Cookie", "session=" + SECRETS[3]);
    }

    @Test
    void errorsAreCapturedOldestDroppedWithTheRawAnswerWhatTheClientGotAndNoSecret() throws Exception {
        Fixture error = Fixture.load("new", "error-prompt-too-long");
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("POST", "/v1/chat/completions", Reply.of(error));
            upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")));
            try (RunningLauncher launcher = start(upstream, CaptureWhen.ERRORS, 3, 65_536)) {
                List<String> received = new java.util.ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    received.add(chatWithSecrets(launcher).body());
                    int expected = Math.min(i + 1, 3);
                    Eventually.await(expected + " captures", Duration.ofSeconds(5), () -> captures().size() == expected
                            && captures().stream().allMatch(c -> Files.exists(c.resolve("meta.json"))));
                }
                Http.getText(launcher.uri().resolve("/v1/models"));

                List<Path> captures = captures();
                assertThat(captures).hasSize(3);
                assertThat(captures).extracting(c -> c.getFileName().toString())
                        .as("the two oldest were dropped").allSatisfy(name -> assertThat(name).matches("capture-.*-[345]"));
                Path newest = captures.get(2);
                JsonNode meta = new ObjectMapper().readTree(newest.resolve("meta.json").toFile());
                assertThat(meta.path("path").asText()).isEqualTo("/v1/chat/completions");
                assertThat(meta.path("status").asInt()).isEqualTo(400);
                assertThat(meta.path("outcome").asText()).isEqualTo("forwarded");
                assertThat(Files.readAllBytes(newest.resolve("upstream-1.body"))).isEqualTo(error.body());
                assertThat(Files.readString(newest.resolve("client.body"))).isEqualTo(received.get(4));
                for (Path capture : captures) {
                    try (Stream<Path> files = Files.list(capture)) {
                        for (Path file : files.toList()) {
                            String text = Files.readString(file, StandardCharsets.ISO_8859_1);
                            for (String secret : SECRETS) {
                                assertThat(text).as(file + " holds no secret").doesNotContain(secret);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void everyRequestIsCapturedWithinCaptureMaxBytesAndLongAnswersAreCut() throws Exception {
        byte[] big = ("{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + "y".repeat(40_000) + "\"},\"finish_reason\":\"stop\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("POST", "/v1/chat/completions", Reply.of(200, "application/json", big));
            try (RunningLauncher launcher = start(upstream, CaptureWhen.ALL, 100, 65_536)) {
                for (int i = 0; i < 4; i++) {
                    assertThat(Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"),
                            "{\"model\":\"m\",\"messages\":[]}").statusCode()).isEqualTo(200);
                }
                Eventually.await("the last capture", Duration.ofSeconds(5),
                        () -> captures().stream().anyMatch(c -> c.getFileName().toString().endsWith("-4")
                                && Files.exists(c.resolve("meta.json"))));
                long total = 0;
                for (Path capture : captures()) {
                    try (Stream<Path> files = Files.list(capture)) {
                        for (Path file : files.toList()) {
                            total += Files.size(file);
                        }
                    }
                    JsonNode meta = new ObjectMapper().readTree(capture.resolve("meta.json").toFile());
                    assertThat(meta.path("upstream").get(0).path("cut").asBoolean()).isTrue();
                    assertThat(meta.path("upstream").get(0).path("bytes").asLong()).isEqualTo(big.length);
                }
                assertThat(total).isLessThanOrEqualTo(65_536);
                assertThat(captures()).isNotEmpty();
            }
        }
    }

    @Test
    void aPassedThroughEventStreamIsCapturedAsItArrivedAndAsTheClientGotIt() throws Exception {
        Fixture stream = Fixture.load("new", "content-native-stream");
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("POST", "/v1/chat/completions", Reply.of(stream).eventByEvent(Duration.ofMillis(2)));
            try (RunningLauncher launcher = start(upstream, CaptureWhen.ALL, 10, 1_000_000)) {
                HttpResponse<String> response = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"),
                        "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                assertThat(response.body()).isEqualTo(stream.bodyText());

                Eventually.await("the capture", Duration.ofSeconds(5), () -> captures().size() == 1
                        && Files.exists(captures().get(0).resolve("meta.json")));
                Path capture = captures().get(0);
                assertThat(Files.readAllBytes(capture.resolve("upstream-1.body"))).isEqualTo(stream.body());
                assertThat(Files.readAllBytes(capture.resolve("client.body"))).isEqualTo(stream.body());
            }
        }
    }

    @Test
    void aSuccessIsNotCapturedWhenOnlyErrorsAre() throws Exception {
        try (FakeLlamaServer upstream = FakeLlamaServer.start()) {
            upstream.route("POST", "/v1/chat/completions", Reply.of(Fixture.load("new", "tool-call-nonstream")));
            try (RunningLauncher launcher = start(upstream, CaptureWhen.ERRORS, 10, 1_000_000)) {
                assertThat(chatWithSecrets(launcher).statusCode()).isEqualTo(200);
            }
            assertThat(captures()).isEmpty();
        }
    }
}
