package dev.llamashim.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One captured llama-server HTTP exchange from {@code /fixtures/llama-server/<build>/<scenario>/}
 * on the classpath (the shim-core test-jar carries them; see {@code fixtures/PROVENANCE.md} and
 * the capture's own {@code README.md}). Other modules' tests replay these over real HTTP.
 *
 * <p>The byte arrays are copied on the way in and out, so a fixture cannot be changed by a test
 * that writes into what it got.
 *
 * @param build {@code "new"} (llama.cpp b9821) or {@code "old"} (b5478)
 * @param scenario the scenario folder's name, e.g. {@code tool-call-nonstream}
 * @param method the request's method, {@code GET} or {@code POST}
 * @param path the request's path, e.g. {@code /v1/chat/completions}
 * @param requestHeaders the request headers recorded after the request line (the content type
 *     when a body was sent), in order
 * @param requestBody the exact request body bytes, or {@code null} when none was sent
 * @param status the response's status code
 * @param reason the status line's reason phrase, e.g. {@code OK}
 * @param headers the response headers in wire order, names and values as sent
 * @param body the exact response body bytes (SSE streams included)
 */
public record Fixture(
        String build,
        String scenario,
        String method,
        String path,
        List<Header> requestHeaders,
        byte[] requestBody,
        int status,
        String reason,
        List<Header> headers,
        byte[] body) {

    /** The classpath folder holding the captures. */
    public static final String ROOT = "/fixtures/llama-server/";

    /**
     * One header line.
     *
     * @param name the name as sent
     * @param value the value as sent, without surrounding whitespace (may be empty)
     */
    public record Header(String name, String value) {

        /** Rejects nulls. */
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    /** Checks required parts and copies the collections and arrays. */
    public Fixture {
        Objects.requireNonNull(build, "build");
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        requestHeaders = List.copyOf(requestHeaders);
        requestBody = requestBody == null ? null : requestBody.clone();
        Objects.requireNonNull(reason, "reason");
        headers = List.copyOf(headers);
        body = body.clone();
    }

    /** A copy of the request body, or {@code null} when none was sent. */
    @Override
    public byte[] requestBody() {
        return requestBody == null ? null : requestBody.clone();
    }

    /** A copy of the response body. */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The response body decoded as UTF-8 (malformed bytes become U+FFFD). */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The request body decoded as UTF-8, or {@code null} when none was sent. */
    public String requestBodyText() {
        return requestBody == null ? null : new String(requestBody, StandardCharsets.UTF_8);
    }

    /** {@code build/scenario}, as in {@code INDEX}. */
    public String name() {
        return build + "/" + scenario;
    }

    /** The first response header called {@code name} (case-insensitive). */
    public Optional<String> header(String name) {
        for (Header header : headers) {
            if (header.name().equalsIgnoreCase(name)) {
                return Optional.of(header.value());
            }
        }
        return Optional.empty();
    }

    /** The response's {@code Content-Type}, or {@code ""}. */
    public String contentType() {
        return header("Content-Type").orElse("");
    }

    /** Whether the response is an SSE stream ({@code text/event-stream}). */
    public boolean isEventStream() {
        return contentType().toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /** Whether the response body is JSON ({@code application/json}). */
    public boolean isJson() {
        return contentType().toLowerCase(Locale.ROOT).startsWith("application/json");
    }

    /** Whether the request went to {@code …/chat/completions}. */
    public boolean isChatCompletionRequest() {
        return path.endsWith("/chat/completions");
    }

    /**
     * Whether this is a complete, non-streamed chat completion: a {@code 200} JSON answer to a chat
     * completion request, which the shim turns into a stream.
     */
    public boolean isNonStreamedCompletion() {
        return isChatCompletionRequest() && status == 200 && isJson();
    }

    /** Whether this is a {@code 200} SSE answer to a chat completion request (a native stream). */
    public boolean isNativeStream() {
        return isChatCompletionRequest() && status == 200 && isEventStream();
    }

    /** Equal when every part is, the bodies compared by content (records compare arrays by identity). */
    @Override
    public boolean equals(Object other) {
        return other instanceof Fixture that
                && build.equals(that.build)
                && scenario.equals(that.scenario)
                && method.equals(that.method)
                && path.equals(that.path)
                && requestHeaders.equals(that.requestHeaders)
                && Arrays.equals(requestBody, that.requestBody)
                && status == that.status
                && reason.equals(that.reason)
                && headers.equals(that.headers)
                && Arrays.equals(body, that.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(build, scenario, status) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        // Used as the display name of parameterized tests; the bodies would only be noise.
        return name();
    }

    /**
     * Loads {@code build/scenario} from the classpath.
     *
     * @param build {@code "new"} or {@code "old"}
     * @param scenario a scenario folder, e.g. {@code tool-call-nonstream}
     * @throws IllegalArgumentException when there is no such fixture
     */
    public static Fixture load(String build, String scenario) {
        String folder = ROOT + build + "/" + scenario + "/";
        byte[] line = read(folder + "request.line");
        if (line == null) {
            throw new IllegalArgumentException("no fixture " + build + "/" + scenario + " on the classpath (" + folder + ")");
        }
        List<String> requestLines = lines(new String(line, StandardCharsets.UTF_8));
        String[] methodAndPath = requestLines.get(0).split(" ", 2);
        if (methodAndPath.length != 2) {
            throw new IllegalStateException(folder + "request.line: expected \"METHOD /path\", got " + requestLines.get(0));
        }
        List<Header> requestHeaders = new ArrayList<>();
        for (String header : requestLines.subList(1, requestLines.size())) {
            if (!header.isEmpty()) {
                requestHeaders.add(header(folder + "request.line", header));
            }
        }

        byte[] rawHeaders = require(folder + "response.headers");
        List<String> headerLines = lines(new String(rawHeaders, StandardCharsets.ISO_8859_1));
        String[] statusLine = headerLines.get(0).split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new IllegalStateException(folder + "response.headers: not a status line: " + headerLines.get(0));
        }
        List<Header> headers = new ArrayList<>();
        for (String header : headerLines.subList(1, headerLines.size())) {
            if (header.isEmpty()) {
                break; // the blank line that ends the head
            }
            headers.add(header(folder + "response.headers", header));
        }

        return new Fixture(
                build,
                scenario,
                methodAndPath[0],
                methodAndPath[1],
                requestHeaders,
                read(folder + "request.json"),
                Integer.parseInt(statusLine[1]),
                statusLine.length == 3 ? statusLine[2] : "",
                headers,
                require(folder + "response.body"));
    }

    /** Loads {@code new/scenario}. */
    public static Fixture load(String scenario) {
        return load("new", scenario);
    }

    /** Every fixture listed in {@code INDEX}, in its order ({@code new/…} first, then {@code old/…}). */
    public static List<Fixture> all() {
        List<Fixture> all = new ArrayList<>();
        for (String entry : index()) {
            int slash = entry.indexOf('/');
            all.add(load(entry.substring(0, slash), entry.substring(slash + 1)));
        }
        return List.copyOf(all);
    }

    /** The {@code build/scenario} entries of {@code INDEX}. */
    public static List<String> index() {
        List<String> entries = new ArrayList<>();
        for (String line : lines(new String(require(ROOT + "INDEX"), StandardCharsets.UTF_8))) {
            if (!line.isBlank()) {
                entries.add(line.strip());
            }
        }
        return List.copyOf(entries);
    }

    private static Header header(String file, String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new IllegalStateException(file + ": not a header line: " + line);
        }
        return new Header(line.substring(0, colon), line.substring(colon + 1).strip());
    }

    /** Splits on CRLF or LF; a final line break does not make an extra empty line. */
    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    private static byte[] require(String resource) {
        byte[] bytes = read(resource);
        if (bytes == null) {
            throw new IllegalStateException("missing classpath resource " + resource);
        }
        return bytes;
    }

    private static byte[] read(String resource) {
        try (InputStream in = Fixture.class.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }
}
