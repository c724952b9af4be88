package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the launcher must never do for a client: listen beyond loopback unless told, let a request
 * pick the server it is forwarded to, pass connection-level headers on, or name its software.
 */
class ForwardingSecurityTest {

    private static final String TOOLS_REQUEST = "{\"model\":\"tiny\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";

    private static FakeLlamaServer upstream;
    private static RunningLauncher launcher;

    @BeforeAll
    static void start() {
        upstream = FakeLlamaServer.start();
        // Everything but the port and the target at its default, listen_host included.
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());
    }

    @AfterAll
    static void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    @BeforeEach
    void forgetEarlierTests() {
        upstream.reset();
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")));
    }

    @Test
    void byDefaultItListensOnLoopbackOnly() throws Exception {
        assertThat(launcher.config().listenHost()).isEqualTo("127.0.0.1");
        assertThat(launcher.uri().getHost()).isEqualTo("127.0.0.1");
        // Every other address this machine has refuses the port (a machine with loopback only has none to try).
        for (InetAddress address : nonLoopbackAddresses()) {
            assertThatThrownBy(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(address, launcher.port()), 2_000);
                }
            }).as("connecting on %s", address).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void anAbsoluteUriInTheRequestLineDoesNotChooseTheUpstream() throws Exception {
        String answer = send("GET http://evil.example/v1/models HTTP/1.1\r\nHost: evil.example\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ");
        RecordedRequest received = upstream.onlyRequest();
        assertThat(received.path()).isEqualTo("/v1/models");
        assertThat(received.header("Host")).isEqualTo("127.0.0.1:" + upstream.baseUri().getPort());
    }

    @Test
    void aHostHeaderDoesNotChooseTheUpstream() throws Exception {
        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));
        String answer = send("GET /v1/models HTTP/1.1\r\nHost: evil.example:8080\r\n");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(answer).startsWith("HTTP/1.1 200 ");
        assertThat(upstream.requests()).hasSize(2).allSatisfy(received ->
                assertThat(received.header("Host")).isEqualTo("127.0.0.1:" + upstream.baseUri().getPort()));
        assertThat(upstream.requests().get(1).header("X-Forwarded-Host")).as("named, for the upstream's logs only")
                .isEqualTo("evil.example:8080");
    }

    @Test
    void hopByHopRequestHeadersAreNotForwardedButEndToEndOnesAre() throws Exception {
        String answer = send("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: keep-alive, X-Connection-Scoped\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Proxy-Authorization: Basic cHJveHk6c2VjcmV0\r\n"
                + "X-Connection-Scoped: drop me\r\n"
                + "Authorization: Bearer sk-for-the-model-server\r\n"
                + "X-End-To-End: keep me\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ");
        RecordedRequest received = upstream.onlyRequest();
        for (String hopByHop : List.of("Keep-Alive", "TE", "Proxy-Authorization", "X-Connection-Scoped")) {
            assertThat(received.header(hopByHop)).as(hopByHop).isNull();
        }
        assertThat(received.header("Connection")).as("the proxy's own connection header, if any, names none of the client's")
                .satisfiesAnyOf(value -> assertThat(value).isNull(),
                        value -> assertThat(value.toLowerCase(Locale.ROOT)).doesNotContain("x-connection-scoped", "upgrade"));
        assertThat(received.header("Authorization")).isEqualTo("Bearer sk-for-the-model-server");
        assertThat(received.header("X-End-To-End")).isEqualTo("keep me");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n",
        "CONNECT 127.0.0.1:8080 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n",
        "TRACE /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-for-the-model-server\r\n",
        "TRACE /llamashim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"})
    void connectAndTraceAreAnswered405ByTheLauncherAndReachNoModelServer(String head) throws Exception {
        String answer = send(head);

        String method = head.substring(0, head.indexOf(' '));
        assertThat(answer).startsWith("HTTP/1.1 405 ");
        String[] parts = answer.split("\r\n\r\n", 2);
        assertThat(parts[0].toLowerCase(Locale.ROOT)).contains("content-type: application/json",
                "allow: get, head, post, put, patch, delete, options");
        assertThat(parts[1]).isEqualTo("{\"error\":{\"message\":\"llamashim does not forward " + method
                + " requests: no model server serves them\",\"type\":\"invalid_request_error\",\"code\":\"http_405\"}}");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void anUpgradeRequestIsAnsweredAsPlainHttpAndItsUpgradeIsNotForwarded() throws Exception {
        String answer = send("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");

        assertThat(answer).as("no 101: nothing is tunnelled to the model server").startsWith("HTTP/1.1 200 ");
        RecordedRequest received = upstream.onlyRequest();
        assertThat(received.header("Upgrade")).isNull();
        assertThat(String.valueOf(received.header("Connection")).toLowerCase(Locale.ROOT)).doesNotContain("upgrade");
    }

    @Test
    void aChunkedRequestBodyReachesTheUpstreamWholeWithTheProxysOwnFraming() throws Exception {
        upstream.route("POST", "/v1/embeddings", Reply.json(200, "{\"object\":\"list\",\"data\":[]}"));
        String body = "{\"model\":\"tiny\",\"input\":\"hello\"}";

        String answer = send("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n", Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ");
        RecordedRequest received = upstream.onlyRequest();
        assertThat(received.bodyText()).isEqualTo(body);
        assertThat(received.header("Transfer-Encoding") != null && received.header("Content-Length") != null)
                .as("one framing, never both").isFalse();
    }

    @Test
    void hopByHopResponseHeadersOfTheUpstreamAreNotForwarded() throws Exception {
        upstream.route("GET", "/v1/models", new Reply(200, List.of(
                Map.entry("Content-Type", "application/json"),
                Map.entry("Proxy-Authenticate", "Basic realm=\"upstream\""),
                Map.entry("Upgrade", "websocket"),
                Map.entry("X-End-To-End", "kept")),
                List.of("{\"data\":[]}".getBytes(StandardCharsets.UTF_8)), Duration.ZERO, Duration.ZERO));

        HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Proxy-Authenticate")).isEmpty();
        assertThat(response.headers().firstValue("Upgrade")).isEmpty();
        assertThat(response.headers().firstValue("X-End-To-End")).contains("kept");
    }

    @Test
    void theLaunchersOwnAnswersNameNoServerSoftwareOrVersion() throws Exception {
        upstream.route("POST", "/v1/chat/completions", Reply.of(Fixture.load("new", "tool-call-nonstream")));
        List<HttpHeaders> own = new ArrayList<>();
        own.add(Http.getText(launcher.uri().resolve("/llamashim/health")).headers());
        own.add(Http.postJsonText(launcher.uri().resolve("/llamashim/health"), "{}").headers());
        try (RunningLauncher unreachable = Launcher.start(LauncherConfig.builder().proxyPort(0)
                .targetUrl(URI.create("http://127.0.0.1:1")).build())) {
            HttpResponse<String> refused = Http.getText(unreachable.uri().resolve("/v1/models"));
            assertThat(refused.statusCode()).isEqualTo(502);
            own.add(refused.headers());
        }
        HttpHeaders shimmed = Http.postJsonText(launcher.uri().resolve("/v1/chat/completions"), TOOLS_REQUEST).headers();

        for (HttpHeaders headers : own) {
            assertThat(headers.firstValue("Server")).as(headers.toString()).isEmpty();
        }
        own.add(shimmed);
        for (HttpHeaders headers : own) {
            assertThat(headers.firstValue("X-Powered-By")).as(headers.toString()).isEmpty();
            assertThat(headers.map().values().toString().toLowerCase(Locale.ROOT)).doesNotContain("jetty");
        }
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> addresses = new ArrayList<>();
        for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (network.isUp() && !network.isLoopback()) {
                network.inetAddresses().filter(a -> a instanceof Inet4Address).forEach(addresses::add);
            }
        }
        return addresses;
    }

    private static String send(String head) throws IOException {
        return send(head, "");
    }

    /** Sends a raw request ({@code head}: request line and headers, each ending CRLF) and reads the whole answer. */
    private static String send(String head, String body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", launcher.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "Connection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
