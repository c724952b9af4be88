package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CanonicalJson}: which values the parser takes as their bytes, and that a carried value
 * reads the same either way (UTF-16 input has no byte offsets, so it always takes the slow path).
 */
class CanonicalJsonTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{}", "[]", "{\"a\":1}", "[1,-2,3.5,-0.5,0.000001,100.0,12345678901234567890123]",
        "{\"s\":\"tab\\tquote\\\"back\\\\slash\\n\",\"t\":true,\"f\":false,\"n\":null}",
        "{\"s\":\"café 東京 😀\",\"deep\":[{\"x\":[[{}]]}]}",
    })
    void takesCanonicalValuesAsTheyAre(String value) {
        byte[] bytes = (value + ",").getBytes(StandardCharsets.UTF_8);
        assertThat(CanonicalJson.end(bytes, 0, bytes.length)).isEqualTo(bytes.length - 1);
        assertCarriedTheSameBothWays(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{ \"a\":1}", "{\"a\": 1}", "[1, 2]", "{\"s\":\"\\u00e9\"}", "{\"s\":\"\\/\"}", "[-0]", "[-0.0]", "[0.0]",
        "[1e5]", "[1.5E-7]", "[0.0000001]", "{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\\ud800\"}",
    })
    void leavesOtherValuesToTheSlowPath(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        assertThat(CanonicalJson.end(bytes, 0, bytes.length)).isEqualTo(-1);
        assertCarriedTheSameBothWays(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":1", "{\"a\"1}", "[1,]", "{\"s\":\"open}", "[tru]", "[01]", "[1.]"})
    void findsNoEndInBrokenText(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        assertThat(CanonicalJson.end(bytes, 0, bytes.length)).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"C3 28", "ED A0 80", "C0 80", "F4 90 80 80", "E2 82", "01"})
    void leavesMalformedUtf8ToTheParser(String hex) {
        byte[] bad = java.util.HexFormat.ofDelimiter(" ").parseHex(hex);
        byte[] bytes = new byte[bad.length + 7];
        System.arraycopy("{\"s\":\"".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 6);
        System.arraycopy(bad, 0, bytes, 6, bad.length);
        bytes[bytes.length - 1] = '"';
        assertThat(CanonicalJson.end(bytes, 0, bytes.length)).isEqualTo(-1);
    }

    /** The value carried as every kind of extra reads the same from UTF-8 (fast path) and UTF-16 (slow path). */
    private static void assertCarriedTheSameBothWays(String value) {
        String arguments = value.startsWith("{") ? value : "{\"v\":" + value + "}";
        String json = "{\"id\":\"x\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"logprobs\":" + value
                + ",\"message\":{\"role\":\"assistant\",\"content\":null,\"refusal\":" + value
                + ",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                + arguments + "}}]}}],\"usage\":" + value + ",\"timings\":" + value + "}";
        ChatResponse fast = ChatResponse.parse(json.getBytes(StandardCharsets.UTF_8));
        ChatResponse slow = ChatResponse.parse(json.getBytes(StandardCharsets.UTF_16));
        assertThat(fast).isEqualTo(slow);
    }
}
