package dev.llamashim.jetty.testing;

import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;

/**
 * A request as the fake llama-server received it.
 *
 * @param method the HTTP method
 * @param pathQuery the raw path and query, e.g. {@code /v1/models?x=1}
 * @param headers the headers as received (immutable)
 * @param body the body bytes
 */
public record RecordedRequest(String method, String pathQuery, HttpFields headers, byte[] body) {

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The first value of header {@code name}, or {@code null}. */
    public String header(String name) {
        return headers.get(name);
    }
}
