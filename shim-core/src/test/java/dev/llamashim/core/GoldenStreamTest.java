package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The exact bytes of a few small streams, written by hand from docs/STREAM-CONTRACT.md (see
 * {@code src/test/resources/golden/README.md}). A failure here is a change of the wire format:
 * review it against the contract before touching the expected bytes.
 */
class GoldenStreamTest {

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = GoldenStreamTest.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static void assertStreams(String responseJson, ChunkingPolicy policy, boolean includeUsage, byte[] expected) {
        ChatResponse response = ChatResponse.parse(responseJson);

        byte[] actual = new StreamSynthesizer(policy).toBytes(response, includeUsage);

        assertThat(new String(actual, StandardCharsets.UTF_8)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
        assertThat(actual).isEqualTo(expected);
        assertThat(StreamContract.violations(expected, includeUsage && response.usage() != null)).isEmpty();
        assertThat(RoundTrip.accumulate(expected)).isEqualTo(RoundTrip.expected(response, includeUsage));
    }

    @Test
    void contentWithoutPiecesIsARoleDeltaAndAFinishChunk() {
        String expected = ""
                + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n"
                + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
                + "data: [DONE]\n\n";

        assertStreams("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":\"length\"}]}",
                ChunkingPolicy.whole(), false, expected.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void emojiContentInPiecesOfTwoCodePointsWithTimingsOnTheLastChunk() throws IOException {
        assertStreams("{\"id\":\"chatcmpl-g1\",\"object\":\"chat.completion\",\"created\":1700000000,"
                        + "\"model\":\"tiny.gguf\",\"system_fingerprint\":\"b0-unknown\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"Hi 👋!\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5},"
                        + "\"timings\":{\"predicted_n\":2}}",
                ChunkingPolicy.byCodePoints(2), false, golden("content-emoji-size2.sse"));
    }

    @Test
    void twoToolCallsWithGivenIdsInPiecesOfFourThenUsage() throws IOException {
        // Shaped like the new build's answer: key order as llama-server sends it, content "".
        assertStreams("{\"choices\":[{\"finish_reason\":\"tool_calls\",\"index\":0,\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"\",\"tool_calls\":["
                        + "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},\"id\":\"call_A\"},"
                        + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"},\"id\":\"call_B\"}]}}],"
                        + "\"created\":1700000001,\"model\":\"m\",\"object\":\"chat.completion\","
                        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7,\"total_tokens\":16},\"id\":\"chatcmpl-g2\"}",
                ChunkingPolicy.byCodePoints(4), true, golden("two-tool-calls-size4-usage.sse"));
    }

    @Test
    void twoChoicesWithReasoningAndARefusal() throws IOException {
        assertStreams("{\"id\":\"chatcmpl-g3\",\"created\":1700000002,\"model\":\"m\",\"choices\":["
                        + "{\"index\":0,\"message\":{\"role\":\"assistant\",\"reasoning_content\":\"Think.\",\"content\":\"Yes.\"},"
                        + "\"finish_reason\":\"stop\"},"
                        + "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":null,\"refusal\":\"No.\"},"
                        + "\"finish_reason\":\"stop\",\"logprobs\":null}]}",
                ChunkingPolicy.byCodePoints(5), true, golden("two-choices-reasoning-size5.sse"));
    }
}
