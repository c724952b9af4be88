package dev.llamashim.servlet.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Raw HTTP with the JDK client, for checking bytes and headers exactly. Headers are given as name, value, name, value… */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Http() {}

    /** The shared client (HTTP/1.1, no redirects). */
    public static HttpClient client() {
        return CLIENT;
    }

    /** POSTs {@code body} as JSON and returns the whole answer. */
    public static HttpResponse<byte[]> postJson(URI uri, byte[] body, String... headers) {
        return send(jsonPost(uri, body, headers), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** POSTs {@code json} and returns the whole answer as text. */
    public static HttpResponse<String> postJsonText(URI uri, String json, String... headers) {
        return send(jsonPost(uri, json.getBytes(StandardCharsets.UTF_8), headers), HttpResponse.BodyHandlers.ofString());
    }

    /** GETs {@code uri} and returns the whole answer. */
    public static HttpResponse<byte[]> get(URI uri, String... headers) {
        return send(getRequest(uri, headers), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** GETs {@code uri} and returns the whole answer as text. */
    public static HttpResponse<String> getText(URI uri, String... headers) {
        return send(getRequest(uri, headers), HttpResponse.BodyHandlers.ofString());
    }

    /** A POST of {@code body} as JSON, to send with any body handler. */
    public static HttpRequest jsonPost(URI uri, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    /**
     * POSTs {@code body} as JSON and reads the event stream that comes back line by line: when each
     * {@code data:} line arrived, in milliseconds after the request was sent.
     */
    public static List<Long> dataEventArrivalMillis(URI uri, byte[] body) throws IOException, InterruptedException {
        long start = System.nanoTime();
        HttpResponse<InputStream> response = CLIENT.send(jsonPost(uri, body), HttpResponse.BodyHandlers.ofInputStream());
        List<Long> arrivals = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("data: ")) {
                    arrivals.add((System.nanoTime() - start) / 1_000_000);
                }
            }
        }
        return arrivals;
    }

    /**
     * Writes a POST of {@code body} as JSON to {@code path} straight to {@code out}, for a client no
     * HTTP client library would play (one that hangs up while it waits for the answer, say).
     */
    public static void writeJsonPost(OutputStream out, String path, byte[] body) throws IOException {
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    private static HttpRequest getRequest(URI uri, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    private static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return CLIENT.send(request, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
