package dev.llamashim.servlet.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request as a fake server or downstream servlet received it.
 *
 * @param method the method
 * @param path the path with its query, if any
 * @param headers header names (lower case) to their values
 * @param body the body bytes (empty when there was none)
 */
public record RecordedRequest(String method, String path, Map<String, List<String>> headers, byte[] body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The first value of a header, or {@code null}. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON. */
    public JsonNode json() {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the body is a JSON object with {@code "stream": true}. */
    public boolean wantsStream() {
        try {
            return JSON.readTree(body).path("stream").asBoolean(false);
        } catch (IOException e) {
            return false;
        }
    }
}
