package dev.llamashim.core;

import java.util.Objects;

/**
 * One JSON value kept as its compact text, for fields llamashim carries from the response into
 * the stream without interpreting them (llama-server's {@code timings}, {@code usage},
 * {@code logprobs}, vendor extras).
 *
 * @param json the value's JSON text on one line; it is written into the stream as it is, so it
 *     must be valid JSON without line breaks (the parser only ever makes such values)
 */
public record RawJson(String json) {

    /** Checks that the text is present and fits on one SSE {@code data:} line. */
    public RawJson {
        Objects.requireNonNull(json, "json");
        if (json.isEmpty() || json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
            throw new ShimException("RawJson must be one non-empty line of JSON, got: " + json);
        }
    }

    @Override
    public String toString() {
        return json;
    }
}
