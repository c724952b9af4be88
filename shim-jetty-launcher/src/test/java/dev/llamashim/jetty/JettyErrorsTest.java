package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Errors Jetty makes itself reach the client OpenAI-shaped, with the right status, and never as
 * an HTML page or a stack trace. Sent over a raw socket, so a malformed request really is one.
 */
class JettyErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static FakeLlamaServer upstream;
    private static RunningLauncher launcher;

    @BeforeAll
    static void start() {
        upstream = FakeLlamaServer.start();
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());
    }

    @AfterAll
    static void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    @Test
    void aMethodTheHealthPathDoesNotTakeIsA405InJson() throws Exception {
        Answer answer = send("POST /llamashim/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n");

        answer.assertOpenAiError(405, "invalid_request_error", "http_405");
        assertThat(answer.error().path("message").asText()).contains("POST");
    }

    @Test
    void aPathJettyRefusesIsA400InJson() throws Exception {
        Answer answer = send("GET /v1/a%2fb HTTP/1.1\r\nHost: 127.0.0.1\r\n");

        answer.assertOpenAiError(400, "invalid_request_error", "http_400");
        assertThat(answer.error().path("message").asText()).isEqualTo("Ambiguous URI path separator");
    }

    @Test
    void aMalformedRequestLineIsA400InJson() throws Exception {
        send("GARBAGE\r\n").assertOpenAiError(400, "invalid_request_error", "http_400");
    }

    @Test
    void anUnsupportedHttpVersionIsA505InJson() throws Exception {
        send("GET /llamashim/health HTTP/3.0\r\nHost: 127.0.0.1\r\n").assertOpenAiError(505, "server_error", "http_505");
    }

    @Test
    void anExceptionNothingCaughtIsA500InJsonWithoutTheExceptionsText() throws Exception {
        // The one uncaught exception the launcher is known to have: Jetty's proxy cannot make a URI
        // of a query with '|'. That request deserves a 400; until it gets one, it shows what any
        // uncaught exception gets.
        Answer answer = send("GET /v1/models?q=a|b HTTP/1.1\r\nHost: 127.0.0.1\r\n");

        answer.assertOpenAiError(500, "server_error", "http_500");
        assertThat(answer.body()).doesNotContain("Exception", "Illegal character", "127.0.0.1");
        assertThat(upstream.requests()).isEmpty();
    }

    /** Sends {@code head} (request line and headers, each ending CRLF) and reads the whole answer. */
    private static Answer send(String head) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("a complete response head in: %s", text).isPositive();
            return new Answer(text.substring(0, end), text.substring(end + 4));
        }
    }

    /** A raw HTTP answer: its head (status line and headers) and its body. */
    private record Answer(String head, String body) {

        int status() {
            return Integer.parseInt(head.split(" ", 3)[1]);
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":")) {
                    return line.substring(name.length() + 1).strip();
                }
            }
            return null;
        }

        JsonNode error() throws Exception {
            return JSON.readTree(body).path("error");
        }

        void assertOpenAiError(int status, String type, String code) throws Exception {
            assertThat(status()).as(head).isEqualTo(status);
            assertThat(header("Content-Type")).as(head).startsWith("application/json");
            assertThat(body).doesNotContain("<html", "\tat ");
            JsonNode root = JSON.readTree(body);
            assertThat(root.size()).as(body).isEqualTo(1);
            JsonNode error = root.path("error");
            assertThat(error.path("message").isTextual()).as(body).isTrue();
            assertThat(error.path("message").asText()).as(body).isNotBlank();
            assertThat(error.path("type").asText()).isEqualTo(type);
            assertThat(error.path("code").asText()).isEqualTo(code);
        }
    }
}
