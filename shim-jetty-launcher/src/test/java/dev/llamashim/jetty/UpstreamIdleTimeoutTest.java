package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code upstream_idle_timeout} (4 s by default) closes an unused upstream connection before a
 * model server that closes idle connections after 5 s, as llama-server does, would close it: a
 * request sent on a connection at the moment the server closes it would never reach the server.
 */
class UpstreamIdleTimeoutTest {

    /** llama-server's (cpp-httplib's) keep-alive limit. */
    private static final int SERVER_IDLE_MILLIS = 5_000;

    @Test
    void theLauncherClosesAnIdleUpstreamConnectionBeforeTheModelServerWould() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> whoClosed = CompletableFuture.supplyAsync(() -> serveOneAndWatch(upstream));
            try (RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0)
                    .targetUrl(URI.create("http://127.0.0.1:" + upstream.getLocalPort())).build())) {
                HttpResponse<String> answer = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(launcher.uri().resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);

                assertThat(whoClosed.get(SERVER_IDLE_MILLIS * 2L, TimeUnit.MILLISECONDS)).isEqualTo("llamashim");
            }
        }
    }

    /**
     * Answers one request on the first connection kept alive, then waits up to
     * {@link #SERVER_IDLE_MILLIS} for the next: "llamashim" when the launcher closes the connection
     * first, "server" when the server's limit came first.
     */
    private static String serveOneAndWatch(ServerSocket upstream) {
        try (Socket connection = upstream.accept()) {
            InputStream in = connection.getInputStream();
            readHead(in);
            byte[] body = "{\"object\":\"list\",\"data\":[]}".getBytes(StandardCharsets.UTF_8);
            connection.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            connection.getOutputStream().write(body);
            connection.getOutputStream().flush();
            connection.setSoTimeout(SERVER_IDLE_MILLIS);
            try {
                return in.read() == -1 ? "llamashim" : "a second request";
            } catch (SocketTimeoutException e) {
                return "server";
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a request head up to its blank line (a GET has no body). */
    private static void readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("the connection closed in the request head: " + head);
            }
            head.write(b);
        }
    }
}
