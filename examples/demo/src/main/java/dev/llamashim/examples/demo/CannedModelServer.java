package dev.llamashim.examples.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for llama-server on 127.0.0.1 and a free port: every chat completion request gets
 * the same captured answer, one {@code get_weather} tool call, as a complete JSON body (what
 * llama-server sends for {@code stream:false}); anything else gets llama-server's 404.
 */
final class CannedModelServer implements AutoCloseable {

    private static final String CANNED = "tool-call-nonstream.json";
    private static final byte[] NOT_FOUND =
            "{\"error\":{\"code\":404,\"message\":\"File Not Found\",\"type\":\"not_found_error\"}}".getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;

    private CannedModelServer(HttpServer server) {
        this.server = server;
    }

    static CannedModelServer start() {
        byte[] answer = load();
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                try (exchange) {
                    exchange.getRequestBody().readAllBytes();
                    boolean chat = exchange.getRequestMethod().equals("POST")
                            && exchange.getRequestURI().getPath().endsWith("/chat/completions");
                    send(exchange, chat ? 200 : 404, chat ? answer : NOT_FOUND);
                }
            });
            server.start();
            return new CannedModelServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException("the canned model server did not start", e);
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private static byte[] load() {
        try (InputStream in = CannedModelServer.class.getResourceAsStream(CANNED)) {
            if (in == null) {
                throw new IllegalStateException(CANNED + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
