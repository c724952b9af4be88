package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that asks for a large stream and then does not read holds no thread and slows nobody
 * else down; when it reads again it gets the whole stream (synthesized, or the model server's own
 * passed through), and when it leaves the stream is let go.
 */
class SlowClientTest {

    /** Two million characters of content: with the default 50-code-point pieces, a stream of about 11 MB. */
    private static final String BIG_CONTENT = "llamashim ".repeat(200_000);
    private static final String BIG_ANSWER = "{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\",\"created\":1795796153,"
            + "\"model\":\"tiny.gguf\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
            + BIG_CONTENT + "\"},\"finish_reason\":\"stop\"}]}";
    private static final String TOOLS_REQUEST = "{\"model\":\"tiny\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";
    private static final int OTHERS = 20;

    private FakeLlamaServer upstream;
    private RunningLauncher launcher;
    private LogCapture log;

    @BeforeEach
    void start() {
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/big/chat/completions", Reply.json(200, BIG_ANSWER));
        upstream.route("POST", "/v1/chat/completions", Reply.of(Fixture.load("new", "tool-call-nonstream")));
        log = LogCapture.start();
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());
    }

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
        log.close();
    }

    @Test
    void aClientThatStopsReadingALargeStreamHoldsNoThreadAndOthersAreAnsweredMeanwhile() throws Exception {
        try (Socket slow = askForTheBigStreamAndDoNotRead()) {

            long started = System.nanoTime();
            List<CompletableFuture<HttpResponse<byte[]>>> others = new ArrayList<>();
            for (int i = 0; i < OTHERS; i++) {
                others.add(Http.client().sendAsync(Http.jsonPost(launcher.uri().resolve("/v1/chat/completions"),
                        TOOLS_REQUEST.getBytes(StandardCharsets.UTF_8)), HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (CompletableFuture<HttpResponse<byte[]>> other : others) {
                HttpResponse<byte[]> response = other.get(10, TimeUnit.SECONDS);
                assertThat(response.statusCode()).isEqualTo(200);
                StreamContract.assertConforms(response.body(), false);
            }
            Duration othersTook = Duration.ofNanos(System.nanoTime() - started);
            assertThat(othersTook).as("%s requests beside the stalled stream", OTHERS).isLessThan(Duration.ofSeconds(8));

            assertThat(log.messagesOf(AccessLogHandler.LOGGER_NAME)).as("the stalled stream is not finished")
                    .noneMatch(line -> line.startsWith("POST /big/chat/completions"));
            assertThat(launcherThreadsInABlockingWrite()).as("threads parked writing to the client").isEmpty();

            byte[] received = slow.getInputStream().readAllBytes();
            String text = new String(received, StandardCharsets.UTF_8);
            int bodyAt = text.indexOf("\r\n\r\n") + 4;
            assertThat(text).startsWith("HTTP/1.1 200 ");
            byte[] expected = new StreamSynthesizer(ChunkingPolicy.defaults())
                    .toBytes(ChatResponse.parse(BIG_ANSWER.getBytes(StandardCharsets.UTF_8)), false);
            assertThat(Arrays.equals(received, bodyAt, received.length, expected, 0, expected.length))
                    .as("the whole stream, once read (%d bytes)", expected.length).isTrue();
        }
    }

    @Test
    void aStalledStreamWhoseClientLeavesIsReleased() throws Exception {
        try (Socket slow = askForTheBigStreamAndDoNotRead()) {
            Thread.sleep(500);
            assertThat(log.messagesOf(AccessLogHandler.LOGGER_NAME)).noneMatch(line -> line.startsWith("POST /big/chat/completions"));
        }

        // The access log line is written when the exchange is over, its buffers released.
        Eventually.await("the stalled exchange to end once its client left", Duration.ofSeconds(5),
                () -> log.messagesOf(AccessLogHandler.LOGGER_NAME).stream()
                        .anyMatch(line -> line.startsWith("POST /big/chat/completions")));
    }

    @Test
    void aClientThatStopsReadingAPassedThroughEventStreamGetsItWholeOnceItReadsAgain() throws Exception {
        // 16 MB in 4,000 events of 4 KB, each event's letter different from its neighbours': more
        // than the sockets' buffers hold, so the launcher's writes to the client wait, and a chunk
        // handed back to the proxy's client before its write was done would show as wrong bytes.
        StringBuilder stream = new StringBuilder();
        List<byte[]> events = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            String event = "data: {\"n\":" + i + ",\"text\":\"" + String.valueOf((char) ('a' + i % 26)).repeat(4_000) + "\"}\n\n";
            events.add(event.getBytes(StandardCharsets.UTF_8));
            stream.append(event);
        }
        upstream.route("POST", "/native/chat/completions", (request, response, callback) -> {
            response.getHeaders().put("Content-Type", "text/event-stream");
            for (byte[] event : events) {
                FutureCallback written = new FutureCallback();
                response.write(false, ByteBuffer.wrap(event), written);
                written.get(30, TimeUnit.SECONDS);
            }
            response.write(true, ByteBuffer.allocate(0), callback);
        });
        String plainStream = "{\"model\":\"tiny\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        try (Socket slow = askAndDoNotRead("/native/chat/completions", plainStream)) {
            Thread.sleep(1_000);
            assertThat(launcherThreadsInABlockingWrite()).as("threads parked writing to the client").isEmpty();

            byte[] received = slow.getInputStream().readAllBytes();
            String text = new String(received, StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith("HTTP/1.1 200 ");
            byte[] body = Arrays.copyOfRange(received, text.indexOf("\r\n\r\n") + 4, received.length);
            byte[] expected = stream.toString().getBytes(StandardCharsets.UTF_8);
            assertThat(Arrays.mismatch(body, expected)).as("where the %d bytes received first differ from the %d sent",
                    body.length, expected.length).isEqualTo(-1);
        }
    }

    /** A connection whose request for the big stream was sent, and fetched upstream, and that reads nothing. */
    private Socket askForTheBigStreamAndDoNotRead() throws Exception {
        return askAndDoNotRead("/big/chat/completions", TOOLS_REQUEST);
    }

    /** A connection whose request ({@code body} to {@code path}) was sent, and fetched upstream, and that reads nothing. */
    private Socket askAndDoNotRead(String path, String body) throws Exception {
        Socket slow = new Socket();
        // A small receive window, so the stream backs up into the launcher rather than into this socket.
        slow.setReceiveBufferSize(4096);
        slow.connect(new InetSocketAddress("127.0.0.1", launcher.port()));
        slow.setSoTimeout(10_000);
        // HTTP/1.0: the body ends with the connection, so it is read as sent, without chunk framing.
        OutputStream out = slow.getOutputStream();
        out.write(("POST " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        Eventually.await("the answer to be fetched", Duration.ofSeconds(5), () -> upstream.requests().size() == 1);
        return slow;
    }

    /** Stack traces of the launcher's pool threads that are inside a servlet write or Jetty's blocking wait. */
    private static List<String> launcherThreadsInABlockingWrite() {
        List<String> parked = new ArrayList<>();
        for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (!thread.getThreadName().startsWith("llamashim")) {
                continue;
            }
            for (StackTraceElement frame : thread.getStackTrace()) {
                if (frame.getClassName().startsWith("org.eclipse.jetty.ee10.servlet.HttpOutput")
                        || frame.getClassName().startsWith("org.eclipse.jetty.util.Blocker")) {
                    parked.add(thread.getThreadName() + " at " + frame);
                    break;
                }
            }
        }
        return parked;
    }
}
