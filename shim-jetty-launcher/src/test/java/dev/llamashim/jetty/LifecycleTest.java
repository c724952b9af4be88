package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, reporting where it listens, failing to start, and stopping gracefully. */
class LifecycleTest {

    @TempDir
    Path dir;

    private FakeLlamaServer upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeLlamaServer.start();
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")));
    }

    @AfterEach
    void stopUpstream() throws Exception {
        upstream.close();
    }

    @Test
    void portZeroPicksAFreePortAndTheStartLineNamesItTheTargetAndTheMode() throws Exception {
        try (LogCapture log = LogCapture.start();
                RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build())) {
            assertThat(launcher.port()).isPositive();
            assertThat(launcher.uri().toString()).isEqualTo("http://127.0.0.1:" + launcher.port());
            assertThat(log.messagesOf(Launcher.class.getName())).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("llamashim " + Version.current() + " listening on http://127.0.0.1:" + launcher.port()
                            + ", forwarding to " + upstream.baseUri())
                    .contains("simulate_when=tools", "text_tool_calls=extract", "normalize_non_stream=false", "request_timeout=600 s", "verify_ssl=true"));
            assertThat(Http.getText(launcher.uri().resolve("/v1/models")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void thePrototypesConfigFileStartsTheLauncherUnchanged() throws Exception {
        try (InputStream prototype = getClass().getResourceAsStream("/config/prototype-config.yaml")) {
            Files.copy(prototype, dir.resolve("config.yaml"));
        }
        // Only the port is moved off 8066 (another test run may hold it); the file is as the prototype had it.
        EffectiveConfig effective = ConfigLoader.load(new String[] {"--proxy-port", "0"}, Map.of(), dir);

        try (RunningLauncher launcher = Launcher.start(effective.config())) {
            HttpResponse<String> health = Http.getText(launcher.uri().resolve("/llamashim/health"));

            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(launcher.config().targetUrl().toString()).isEqualTo("http://localhost:8080");
        }
    }

    @Test
    void aPortInUseIsAStartFailureWithExitCodeOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            LauncherConfig config = LauncherConfig.builder().proxyPort(taken.getLocalPort()).targetUrl(upstream.baseUri()).build();

            assertThatThrownBy(() -> Launcher.start(config))
                    .isInstanceOf(LauncherException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (listen_host, proxy_port)")
                    .satisfies(e -> assertThat(((LauncherException) e).exitCode()).isEqualTo(LauncherException.START_FAILURE));
        }
    }

    @Test
    void stoppingLetsARequestInFlightFinishAndRefusesNewOnes() throws Exception {
        upstream.route("GET", "/slow", Reply.of(Fixture.load("new", "models")).after(Duration.ofSeconds(2)));
        RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());
        CompletableFuture<HttpResponse<String>> inFlight = Http.client().sendAsync(
                java.net.http.HttpRequest.newBuilder(launcher.uri().resolve("/slow")).build(),
                HttpResponse.BodyHandlers.ofString());
        Eventually.await("the upstream to receive the request", Duration.ofSeconds(5), () -> upstream.requests().size() == 1);

        launcher.close();

        HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(Fixture.load("new", "models").bodyText());
        assertThatThrownBy(() -> Http.getText(launcher.uri().resolve("/llamashim/health"))).isInstanceOf(UncheckedIOException.class);
        launcher.close();
    }
}
