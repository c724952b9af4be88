package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;

/** The shared, immutable Jackson factory and the few token helpers the parsers need. */
final class Json {

    /** Immutable once built; generators and parsers it creates are per call. */
    static final JsonFactory FACTORY = JsonFactory.builder().build();

    private Json() {}

    /** The parser's current value (object, array or scalar) as compact JSON text. */
    static RawJson copyValue(JsonParser p) throws IOException {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.copyCurrentStructure(p);
        }
        return new RawJson(out.toString());
    }

    /** Says where and why the bytes are not JSON, without echoing the input. */
    static ShimException notJson(String what, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return new ShimException(what + " is not valid JSON" + where + ": " + e.getOriginalMessage(), e);
    }

    /** A short name for a token, for "expected X, found Y" messages. */
    static String describe(JsonToken token) {
        if (token == null) {
            return "end of input";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.toString();
        };
    }
}
