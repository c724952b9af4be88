package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
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
    void aQueryTheProxyCannotForwardIsA400InJsonAndNeverReachesTheUpstream() throws Exception {
        // Jetty's server takes '|' in a query; a URI (and so Jetty's HTTP client) does not.
        Answer answer = send("GET /v1/models?q=a|b HTTP/1.1\r\nHost: 127.0.0.1\r\n");

        answer.assertOpenAiError(400, "invalid_request_error", "invalid_request_target");
        assertThat(answer.error().path("message").asText()).contains("percent-encode");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void aShimmedRequestWithSuchAQueryGetsTheSame400() throws Exception {
        String body = "{\"stream\":true,\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}";
        Answer answer = send("POST /v1/chat/completions?q=a|b HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n", body);

        answer.assertOpenAiError(400, "invalid_request_error", "invalid_request_target");
        assertThat(upstream.requests()).isEmpty();
    }

    /**
     * The launcher has no known uncaught exception left (the last, a query with '|', is the 400
     * above), so its error handler is shown one by a servlet that throws, in a context set up as
     * the launcher sets up its own.
     */
    @Test
    void anExceptionNothingCaughtIsA500InJsonWithoutTheExceptionsText() throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setErrorHandler(new JsonErrorHandler());
        context.addServlet(new ServletHolder(new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest request, HttpServletResponse response) {
                throw new IllegalStateException("secret internals at 10.0.0.7");
            }
        }), "/*");
        server.setHandler(context);
        server.setErrorHandler(new JsonErrorHandler());
        server.start();
        try {
            Answer answer = send(connector.getLocalPort(), "GET /boom HTTP/1.1\r\nHost: 127.0.0.1\r\n", "");

            answer.assertOpenAiError(500, "server_error", "http_500");
            assertThat(answer.body()).doesNotContain("Exception", "secret", "10.0.0.7");
        } finally {
            server.stop();
        }
    }

    /** Sends {@code head} (request line and headers, each ending CRLF) and reads the whole answer. */
    private static Answer send(String head) throws Exception {
        return send(head, "");
    }

    /** Sends {@code head} and {@code body}, and reads the whole answer. */
    private static Answer send(String head, String body) throws Exception {
        return send(launcher.port(), head, body);
    }

    private static Answer send(int port, String head, String body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "Connection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
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
