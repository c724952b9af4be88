package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Launcher#startPlainProxy} forwards a request the shim would take as it is, and answers as the upstream did. */
class PlainProxyTest {

    private static final String ANSWER = "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}";
    private static final String STREAMED_TOOLS_REQUEST =
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{}}}]}";

    private final AtomicReference<String> received = new AtomicReference<>();
    private HttpServer upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            received.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
    }

    @AfterEach
    void stopUpstream() {
        upstream.stop(0);
    }

    @Test
    void aStreamedToolRequestGoesThroughUnchangedAndItsJsonAnswerComesBackAsJson() throws Exception {
        LauncherConfig config = LauncherConfig.builder().proxyPort(0)
                .targetUrl(URI.create("http://127.0.0.1:" + upstream.getAddress().getPort())).build();
        try (RunningLauncher plain = Launcher.startPlainProxy(config)) {
            HttpResponse<String> response = post(plain.uri().resolve("/v1/chat/completions"));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).isEqualTo(ANSWER);
            assertThat(received.get()).isEqualTo(STREAMED_TOOLS_REQUEST);
        }
    }

    @Test
    void theSameRequestThroughTheShimBecomesAStream() throws Exception {
        LauncherConfig config = LauncherConfig.builder().proxyPort(0)
                .targetUrl(URI.create("http://127.0.0.1:" + upstream.getAddress().getPort())).build();
        try (RunningLauncher shim = Launcher.start(config)) {
            HttpResponse<String> response = post(shim.uri().resolve("/v1/chat/completions"));

            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
            assertThat(response.body()).endsWith("data: [DONE]\n\n");
            assertThat(received.get()).contains("\"stream\":false");
        }
    }

    private static HttpResponse<String> post(URI uri) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(STREAMED_TOOLS_REQUEST)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
