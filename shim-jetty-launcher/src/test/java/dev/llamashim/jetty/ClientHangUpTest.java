package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.jetty.testing.SlowModel;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that hangs up while the model works has the model's request aborted at once, with
 * heartbeats at their default (15 s) and so before any byte is written to it, or in the middle of
 * a passed-through event stream; connections whose clients stay are not disturbed by the watching.
 */
class ClientHangUpTest {

    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");
    /** {@code stream:true} with a tool: a shimmed request. */
    private static final byte[] STREAM_WITH_TOOLS = Fixture.load("new", "tool-call-native-stream").requestBody();
    /** Far longer than the test waits: the model's request ends only if the launcher aborts it. */
    private static final Duration MODEL_TIME = Duration.ofSeconds(20);
    /** What issue 8 asks: the model's request aborted within a second of the hang-up. */
    private static final Duration ABORT_BOUND = Duration.ofSeconds(1);

    private final AtomicLong modelStoppedAt = new AtomicLong();
    private FakeLlamaServer upstream;
    private RunningLauncher launcher;
    private LogCapture log;

    @BeforeEach
    void start() {
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/v1/chat/completions", SlowModel.stopsWhenItsConnectionCloses(MODEL_TIME, TOOL_CALL.body(), modelStoppedAt));
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")).after(Duration.ofMillis(300)));
        log = LogCapture.start();
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());
        assertThat(launcher.config().heartbeatSeconds()).isEqualTo(Duration.ofSeconds(15));
    }

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
        log.close();
    }

    @Test
    void aHangUpDuringAShimmedRequestAbortsTheModelsRequestWithinASecond() throws Exception {
        Duration latency = hangUpWhileTheModelWorks(STREAM_WITH_TOOLS);

        assertThat(latency).isLessThan(ABORT_BOUND);
        accessLine("POST /v1/chat/completions shimmed=true status=499");
    }

    @Test
    void aHangUpDuringAPassThroughRequestAbortsTheModelsRequestWithinASecond() throws Exception {
        byte[] notStreamed = "{\"model\":\"tiny\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8);

        Duration latency = hangUpWhileTheModelWorks(notStreamed);

        assertThat(latency).isLessThan(ABORT_BOUND);
        accessLine("POST /v1/chat/completions shimmed=false status=499");
    }

    @Test
    void aHangUpDuringAPassThroughRequestWithALongConversationAbortsTheModelsRequestWithinASecond() throws Exception {
        // Longer than the proxy's 4 KB read buffer: the proxy reads the body in pieces, on its client's threads.
        String longMessage = "hi ".repeat(8_000);
        byte[] notStreamed = ("{\"model\":\"tiny\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\""
                + longMessage + "\"}]}").getBytes(StandardCharsets.UTF_8);

        Duration latency = hangUpWhileTheModelWorks(notStreamed);

        assertThat(latency).isLessThan(ABORT_BOUND);
        accessLine("POST /v1/chat/completions shimmed=false status=499");
    }

    @Test
    void aHangUpInTheMiddleOfAPassedThroughEventStreamAbortsTheModelsRequestWithinASecond() throws Exception {
        upstream.route("POST", "/completion", (request, response, callback) -> {
            response.getHeaders().put("Content-Type", "text/event-stream");
            long deadline = System.nanoTime() + MODEL_TIME.toNanos();
            for (int i = 0; System.nanoTime() < deadline; i++) {
                FutureCallback written = new FutureCallback();
                response.write(false, ByteBuffer.wrap(("data: {\"n\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8)), written);
                try {
                    written.get(5, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    // The launcher closed the connection: the model stops, as llama-server does.
                    modelStoppedAt.set(System.nanoTime());
                    callback.failed(e.getCause());
                    return;
                }
                Thread.sleep(20);
            }
            response.write(true, ByteBuffer.allocate(0), callback);
        });

        long hungUpAt;
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            socket.setSoTimeout(5_000);
            Http.writeJsonPost(socket.getOutputStream(), "/completion",
                    "{\"prompt\":\"hi\",\"stream\":true}".getBytes(StandardCharsets.UTF_8));
            String seen = "";
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[1024];
            while (seen.split("\n\n", -1).length <= 3) {
                int read = in.read(buffer);
                assertThat(read).as("the stream goes on").isPositive();
                seen += new String(buffer, 0, read, StandardCharsets.UTF_8);
            }
            assertThat(seen).startsWith("HTTP/1.1 200 ").contains("data: {\"n\":2}");
            hungUpAt = System.nanoTime();
        }

        Eventually.await("the launcher to abort the model's request", Duration.ofSeconds(5), () -> upstream.failedExchanges() == 1);
        assertThat(Duration.ofNanos(modelStoppedAt.get() - hungUpAt)).isLessThan(ABORT_BOUND);
    }

    @Test
    void aKeptAliveConnectionServesItsNextRequestAfterAWatchedOne() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            socket.setSoTimeout(5_000);
            for (int i = 0; i < 3; i++) {
                write(socket.getOutputStream(), "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
            }
        }
        assertThat(upstream.requests()).hasSize(3);
    }

    @Test
    void aPipelinedRequestIsLeftForTheConnectionAndAnsweredAfterTheOneBeforeIt() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            socket.setSoTimeout(5_000);
            String request = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            write(socket.getOutputStream(), request);
            // The second arrives while the first waits for the model (300 ms): the watch sees bytes, not a hang-up.
            Eventually.await("the first request to reach the model server", Duration.ofSeconds(5), () -> upstream.requests().size() == 1);
            write(socket.getOutputStream(), request);

            assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
            assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
        }
        assertThat(upstream.requests()).hasSize(2);
        assertThat(upstream.failedExchanges()).isZero();
    }

    /** Sends {@code body} to the chat path over a raw socket, hangs up once the model has it, and returns how long the model worked on. */
    private Duration hangUpWhileTheModelWorks(byte[] body) throws Exception {
        long hungUpAt;
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            Http.writeJsonPost(socket.getOutputStream(), "/v1/chat/completions", body);
            Eventually.await("the model server to get the request", Duration.ofSeconds(5), () -> upstream.requests().size() == 1);
            hungUpAt = System.nanoTime();
        }
        Eventually.await("the launcher to abort the model's request", Duration.ofSeconds(5), () -> upstream.failedExchanges() == 1);
        return Duration.ofNanos(modelStoppedAt.get() - hungUpAt);
    }

    private void accessLine(String start) throws InterruptedException {
        Eventually.await("an access log line starting " + start, Duration.ofSeconds(5),
                () -> log.messagesOf(AccessLogHandler.LOGGER_NAME).stream().anyMatch(line -> line.startsWith(start)));
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads one response with a {@code Content-Length} body. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
