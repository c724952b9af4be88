package dev.llamashim.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A complete (non-streamed) chat completion, as an OpenAI-compatible server returns it for
 * {@code stream:false}. Nothing in the response is dropped: fields these types do not name are
 * kept as {@link RawJson} extras and placed in the stream (see {@link StreamSynthesizer}).
 *
 * @param id the completion's id ({@code chatcmpl-…}); generated when the response had none
 * @param created creation time in epoch seconds; the parse time when the response had none
 * @param model the model name the server reported ({@code ""} when it reported none)
 * @param systemFingerprint the server's fingerprint, or {@code null}
 * @param choices the choices in index order
 * @param usage the {@code usage} object, or {@code null}
 * @param extras top-level fields these types do not name (llama-server's {@code timings}, …),
 *     in response order
 */
public record ChatResponse(
        String id,
        long created,
        String model,
        String systemFingerprint,
        List<Choice> choices,
        RawJson usage,
        Map<String, RawJson> extras) {

    /** Checks required parts and takes unmodifiable copies of the collections. */
    public ChatResponse {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        choices = List.copyOf(choices);
        extras = Extras.copyOf(extras);
    }

    /**
     * Parses a chat completion from its JSON bytes (UTF-8, UTF-16 or UTF-32, detected).
     *
     * @throws ShimException when the bytes are not JSON or not a chat completion; the message
     *     says which field is missing or of the wrong type, with its path
     */
    public static ChatResponse parse(byte[] json) {
        return parse(json, 0, json.length);
    }

    /** Parses a chat completion from {@code length} JSON bytes of {@code json} at {@code offset}. */
    public static ChatResponse parse(byte[] json, int offset, int length) {
        return ChatResponseParser.parse(json, offset, length);
    }

    /** Parses a chat completion from a JSON string. */
    public static ChatResponse parse(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return parse(bytes, 0, bytes.length);
    }

    /** Reads the stream to its end and parses the chat completion it holds. */
    public static ChatResponse parse(InputStream json) throws IOException {
        byte[] bytes = json.readAllBytes();
        return parse(bytes, 0, bytes.length);
    }
}
