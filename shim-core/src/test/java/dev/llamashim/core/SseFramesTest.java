package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseFramesTest {

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void closingEventAndHeartbeat() {
        assertThat(text(SseFrames.done())).isEqualTo("data: [DONE]\n\n").isEqualTo(SseChunk.DONE.render());
        assertThat(text(SseFrames.heartbeat())).isEqualTo(": keep-alive\n\n")
                .isEqualTo(SseChunk.comment("keep-alive").render());
    }

    @Test
    void eachCallReturnsItsOwnArray() {
        byte[] first = SseFrames.done();
        first[0] = 'x';
        assertThat(text(SseFrames.done())).isEqualTo(SseFrames.DONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":\"é☃\"}", "", "{\"a\":\n1}", "a\r\nb\rc\n", "{\"error\":{\"message\":\"x\"}}"})
    void dataFromTextAndFromBytesFrameAsTheParserReadsThem(String json) {
        byte[] fromText = SseFrames.data(json);
        byte[] fromBytes = SseFrames.data(json.getBytes(StandardCharsets.UTF_8));

        assertThat(text(fromText)).isEqualTo(text(fromBytes)).isEqualTo(SseChunk.data(json).render());
        String joined = json.replace("\r\n", "\n").replace('\r', '\n');
        assertThat(SseParser.parseAll(fromText)).containsExactly(SseChunk.data(joined));
    }

    @Test
    void singleLineDataIsPrefixAndEnd() {
        assertThat(text(SseFrames.data("{}"))).isEqualTo(SseFrames.DATA_PREFIX + "{}" + SseFrames.EVENT_END);
    }
}
