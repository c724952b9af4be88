package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.jetty.testing.SlowModel;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code heartbeat_seconds} through the whole launcher: while a slow model works on a shimmed
 * request the client gets {@code : keep-alive} comments and then exactly the synthesized stream,
 * and a client that hangs up makes the launcher abort the exchange with the model server.
 */
class HeartbeatEndToEndTest {

    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");
    /** {@code stream:true}, a tool and {@code stream_options.include_usage:true}. */
    private static final byte[] STREAM_WITH_TOOLS_AND_USAGE = Fixture.load("new", "tool-call-native-stream-usage").requestBody();
    private static final String KEEP_ALIVE = ": keep-alive\n\n";
    /** How long the fake model works on a request. */
    private static final Duration MODEL_TIME = Duration.ofMillis(2_500);

    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    @Test
    void keepAliveCommentsComeWhileTheModelWorksThenExactlyTheSynthesizedStream() throws Exception {
        upstream = FakeLlamaServer.start(Routes.always(Reply.of(TOOL_CALL).after(MODEL_TIME)));
        launcher = start(upstream);

        long sent = System.nanoTime();
        HttpResponse<InputStream> response = Http.client().send(
                Http.jsonPost(launcher.uri().resolve("/v1/chat/completions"), STREAM_WITH_TOOLS_AND_USAGE),
                HttpResponse.BodyHandlers.ofInputStream());
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        long firstHeartbeatMillis;
        try (InputStream body = response.body()) {
            received.write(body.readNBytes(KEEP_ALIVE.length()));
            firstHeartbeatMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            body.transferTo(received);
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        assertThat(firstHeartbeatMillis).as("the first heartbeat came while the model was still working")
                .isLessThan(MODEL_TIME.toMillis() - 1_000);
        String text = received.toString(StandardCharsets.UTF_8);
        String synthesized = new String(new StreamSynthesizer(ChunkingPolicy.defaults())
                .toBytes(ChatResponse.parse(TOOL_CALL.body()), true), StandardCharsets.UTF_8);
        assertThat(text).endsWith(synthesized);
        String heartbeats = text.substring(0, text.length() - synthesized.length());
        assertThat(heartbeats).matches("(: keep-alive\n\n)+");
        assertThat(heartbeats.length() / KEEP_ALIVE.length()).as("heartbeats, about one per 0.2 s while the model works")
                .isGreaterThanOrEqualTo(5);
        StreamContract.assertConforms(received.toByteArray(), true);
        assertThat(upstream.onlyRequest().json().path("stream").asBoolean(true)).isFalse();
    }

    @Test
    void aClientThatHangsUpMakesTheLauncherAbortTheExchangeWithTheModelServer() throws Exception {
        AtomicLong connectionClosedAt = new AtomicLong();
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/v1/chat/completions", SlowModel.stopsWhenItsConnectionCloses(MODEL_TIME, TOOL_CALL.body(), connectionClosedAt));
        launcher = start(upstream);

        long hungUpAt;
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            Http.writeJsonPost(socket.getOutputStream(), "/v1/chat/completions", STREAM_WITH_TOOLS_AND_USAGE);
            Thread.sleep(300);
            // Hang up only once the model works on it: the test is about an exchange in progress.
            Eventually.await("the model server to get the request", Duration.ofSeconds(5), () -> upstream.requests().size() == 1);
            hungUpAt = System.nanoTime();
        }

        Eventually.await("the launcher to close its connection to the model server", Duration.ofSeconds(3),
                () -> upstream.failedExchanges() == 1);
        assertThat(Duration.ofNanos(connectionClosedAt.get() - hungUpAt)).as("closed long before the model would have answered")
                .isLessThan(MODEL_TIME);
    }

    private static RunningLauncher start(FakeLlamaServer upstream) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri())
                .heartbeatSeconds(Duration.ofMillis(200)).build());
    }
}
