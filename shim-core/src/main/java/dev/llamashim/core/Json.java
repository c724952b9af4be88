package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Locale;

/**
 * shim-core's one Jackson setup, shared by every class of the module, and the few token helpers
 * the parsers need. Numbers in trees keep their exact value: floats are read as
 * {@code BigDecimal} with their trailing zeros, so a chunk written back says what the server sent.
 */
final class Json {

    /** Trees with exact numbers; configured once here and never changed after. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    /** {@link #MAPPER}'s reader, which also fails on anything after the first value. */
    static final ObjectReader WHOLE_VALUE = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** {@link #MAPPER}'s factory, for the streaming parsers and generators; they are per call. */
    static final JsonFactory FACTORY = MAPPER.getFactory();

    private Json() {}

    /**
     * The parser's current value (object, array or scalar) as compact JSON text. Numbers keep
     * their exact value: the plain copy goes through {@code double}, which turns {@code 1e400}
     * into the string {@code "Infinity"} and {@code 0.10000000000000000000001} into {@code 0.1}.
     */
    static RawJson copyValue(JsonParser p) throws IOException {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            int depth = 0;
            do {
                JsonToken token = p.currentToken();
                if (token == JsonToken.VALUE_NUMBER_FLOAT) {
                    copyFloat(p, g);
                } else {
                    g.copyCurrentEvent(p);
                }
                if (token.isStructStart()) {
                    depth++;
                } else if (token.isStructEnd()) {
                    depth--;
                }
            } while (depth > 0 && p.nextToken() != null);
        }
        return new RawJson(out.toString());
    }

    /**
     * What {@link JsonGenerator#copyCurrentEventExact} writes for a float: the text of its
     * {@code BigDecimal}. That is the input text itself for the plain decimals servers send
     * ({@code 6.196333333333333}, {@code 0.05}), so those skip the {@code BigDecimal} round trip;
     * exponents, zeros and tiny fractions ({@code 1e400}, {@code -0.0}, {@code 0.0000001}) take it.
     */
    private static void copyFloat(JsonParser p, JsonGenerator g) throws IOException {
        String text = p.getText();
        if (isPlainDecimal(text)) {
            g.writeNumber(text);
        } else {
            g.writeNumber(p.getDecimalValue());
        }
    }

    /**
     * Whether {@code BigDecimal.toString()} of the JSON float {@code text} is {@code text}: no
     * exponent, and either a whole part that is not 0 or a non-zero fraction with at most five
     * zeros after the point (beyond that {@code BigDecimal} switches to {@code 1E-7} notation).
     */
    static boolean isPlainDecimal(String text) {
        int start = text.startsWith("-") ? 1 : 0;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 'e' || c == 'E') {
                return false;
            }
        }
        if (text.charAt(start) != '0') {
            return true;
        }
        // "0." then the fraction: count its leading zeros, and find a non-zero digit.
        int zeros = 0;
        for (int i = start + 2; i < text.length(); i++) {
            if (text.charAt(i) != '0') {
                return zeros <= 5;
            }
            zeros++;
        }
        return false;
    }

    /**
     * {@code json} with every lone surrogate (half of a pair without its other half) written as a
     * {@code \\u} escape with four hex digits. Such a value is valid JSON when it arrives escaped, and the parser
     * turns it into a bare {@code char}; written raw, Jackson's UTF-8 generator cannot encode it
     * and fails ("Split surrogate on writeRaw() input"). In JSON text a lone surrogate can only be
     * inside a string, where the escape means the same thing.
     */
    static String escapeLoneSurrogates(String json) {
        StringBuilder out = null;
        int copied = 0;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < json.length() && Character.isLowSurrogate(json.charAt(i + 1))) {
                i++; // a whole pair: UTF-8 can encode it
                continue;
            }
            if (out == null) {
                out = new StringBuilder(json.length() + 16);
            }
            out.append(json, copied, i).append("\\u").append(Integer.toHexString(c).toUpperCase(Locale.ROOT));
            copied = i + 1;
        }
        return out == null ? json : out.append(json, copied, json.length()).toString();
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
