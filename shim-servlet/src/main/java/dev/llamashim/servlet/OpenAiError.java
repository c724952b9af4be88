package dev.llamashim.servlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * An error llamashim answers itself, in the shape OpenAI clients parse:
 * {@code {"error":{"message":…,"type":…,"code":…}}}.
 *
 * @param status the HTTP status to answer with
 * @param message what went wrong, for a person
 * @param type the error's class, e.g. {@code upstream_error}, {@code invalid_request_error}
 * @param code a stable machine-readable code, e.g. {@code request_too_large}
 */
public record OpenAiError(int status, String message, String type, String code) {

    private static final JsonFactory JSON = ServletJson.FACTORY;

    /** Checks that every part is present and the status is an error status. */
    public OpenAiError {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(code, "code");
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error needs a 4xx or 5xx status, got " + status);
        }
    }

    /** The error body, UTF-8 JSON. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96 + message.length());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", type);
            g.writeStringField("code", code);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }
}
