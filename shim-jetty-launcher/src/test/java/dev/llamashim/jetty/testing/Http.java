package dev.llamashim.jetty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A JDK HTTP/1.1 client for the tests' requests to the launcher. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Http() {}

    /** The shared client. */
    public static HttpClient client() {
        return CLIENT;
    }

    /** GET {@code uri}, body as text. */
    public static HttpResponse<String> get(URI uri, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POST {@code json} to {@code uri}, body as text. */
    public static HttpResponse<String> postJson(URI uri, String json, String... headers) throws IOException, InterruptedException {
        return CLIENT.send(jsonPost(uri, json, headers), HttpResponse.BodyHandlers.ofString());
    }

    /** A POST of {@code json} to {@code uri}, to send with any body handler. */
    public static HttpRequest jsonPost(URI uri, String json, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }
}
