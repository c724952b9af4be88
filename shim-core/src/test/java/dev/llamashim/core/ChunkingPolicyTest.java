package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChunkingPolicyTest {

    /** The pieces {@code policy} cuts {@code text} into. */
    private static List<String> pieces(ChunkingPolicy policy, String text) {
        List<String> pieces = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = policy.pieceEnd(text, start);
            assertThat(end).as("piece end after %d", start).isGreaterThan(start).isLessThanOrEqualTo(text.length());
            pieces.add(text.substring(start, end));
            start = end;
        }
        return pieces;
    }

    @Test
    void splitsNeverInsideASurrogatePair() {
        String text = "a😀b😀"; // U+1F600 is two chars

        assertThat(pieces(ChunkingPolicy.byCodePoints(1), text)).containsExactly("a", "😀", "b", "😀");
        assertThat(pieces(ChunkingPolicy.byCodePoints(2), text)).containsExactly("a😀", "b😀");
        assertThat(pieces(ChunkingPolicy.byCodePoints(3), text)).containsExactly("a😀b", "😀");
    }

    @Test
    void countsCodePointsNotChars() {
        String supplementaryCjk = "𠀀𠀁𠀂"; // U+20000.. are outside the BMP
        assertThat(supplementaryCjk).hasSize(6);

        assertThat(pieces(ChunkingPolicy.byCodePoints(2), supplementaryCjk)).containsExactly("𠀀𠀁", "𠀂");
        assertThat(pieces(ChunkingPolicy.byCodePoints(2), "中文字符")).containsExactly("中文", "字符");
        assertThat(pieces(ChunkingPolicy.byCodePoints(4), "日本語のテキスト")).containsExactly("日本語の", "テキスト");
    }

    @Test
    void zwjSequenceMaySplitBetweenCodePointsButNeverInsideOne() {
        String technologist = "👩\u200D💻"; // woman, zero-width joiner, laptop: one grapheme, three code points

        List<String> pieces = pieces(ChunkingPolicy.byCodePoints(1), technologist);

        assertThat(pieces).containsExactly("👩", "\u200D", "💻");
        assertThat(String.join("", pieces)).isEqualTo(technologist);
        assertThat(pieces(ChunkingPolicy.byCodePoints(2), "🏳️‍🌈")).containsExactly("🏳️", "‍🌈");
    }

    @Test
    void combiningMarksMaySplitFromTheirBaseLetter() {
        String decomposed = "e\u0301te\u0301"; // "été" with combining acute accents

        assertThat(pieces(ChunkingPolicy.byCodePoints(1), decomposed)).containsExactly("e", "\u0301", "t", "e", "\u0301");
        assertThat(pieces(ChunkingPolicy.byCodePoints(2), decomposed)).containsExactly("e\u0301", "te", "\u0301");
    }

    @Test
    void loneSurrogatesCountAsOneCodePointEach() {
        String broken = "\uD83Dx\uDE00\uD83D"; // high, letter, low, high at the end

        assertThat(pieces(ChunkingPolicy.byCodePoints(1), broken)).containsExactly("\uD83D", "x", "\uDE00", "\uD83D");
    }

    @Test
    void pieceEndStartsWhereItIsTold() {
        ChunkingPolicy policy = ChunkingPolicy.byCodePoints(2);

        assertThat(policy.pieceEnd("ab😀cd", 1)).isEqualTo(4);
        assertThat(policy.pieceEnd("ab😀cd", 4)).isEqualTo(6);
        assertThat(policy.pieceEnd("ab", 2)).isEqualTo(2);
        assertThat(policy.pieceEnd(new StringBuilder("xyz"), 0)).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void rejectsASizeBelowOneSayingWhatItGot(int size) {
        assertThatThrownBy(() -> ChunkingPolicy.byCodePoints(size))
                .isInstanceOf(ShimException.class)
                .hasMessage("chunk size must be at least 1 code point, got " + size);
    }

    @Test
    void hugeSizeIsOnePiece() {
        assertThat(pieces(ChunkingPolicy.byCodePoints(Integer.MAX_VALUE), "all of it 😀")).containsExactly("all of it 😀");
    }

    @Test
    void wholeKeepsEachFieldInOnePiece() {
        assertThat(pieces(ChunkingPolicy.whole(), "all 😀 of it")).containsExactly("all 😀 of it");
        assertThat(ChunkingPolicy.whole()).isEqualTo(ChunkingPolicy.whole());
    }

    @Test
    void defaultsIsFiftyCodePoints() {
        assertThat(ChunkingPolicy.defaults()).isEqualTo(ChunkingPolicy.byCodePoints(50));
        assertThat(ChunkingPolicy.DEFAULT_SIZE).isEqualTo(50);
        String text = "😀".repeat(120);

        assertThat(pieces(ChunkingPolicy.defaults(), text)).extracting(p -> p.codePointCount(0, p.length()))
                .containsExactly(50, 50, 20);
    }

    @Test
    void streamedPiecesOfEmojiTextAreWholeCodePointsInEveryField() throws IOException {
        String text = "👩\u200D💻 héllo 𠀀 wörld 😀";
        ChatResponse response = new ChatResponse("c", 1, "m", null, List.of(new Choice(0,
                new Message("assistant", text, text, List.of(ToolCall.function(0, "call_1", "f", text)), Map.of()),
                null, null, Map.of())), null, Map.of());
        StreamSynthesizer synthesizer = new StreamSynthesizer(ChunkingPolicy.byCodePoints(1));
        ObjectMapper mapper = new ObjectMapper();

        byte[] stream = synthesizer.toBytes(response, false);

        int pieces = 0;
        for (SseChunk event : SseParser.parseAll(stream)) {
            if (event instanceof SseChunk.Data data) {
                JsonNode delta = mapper.readTree(data.data()).get("choices").get(0).get("delta");
                for (JsonNode piece : List.of(delta.path("content"), delta.path("reasoning_content"),
                        delta.path("tool_calls").path(0).path("function").path("arguments"))) {
                    if (piece.isTextual() && !piece.textValue().isEmpty()) {
                        pieces++;
                        String value = piece.textValue();
                        assertThat(value.codePointCount(0, value.length())).as(value).isEqualTo(1);
                        assertThat(Character.isSurrogate(value.charAt(0)) && value.length() == 1).as(value).isFalse();
                    }
                }
            }
        }
        assertThat(pieces).isEqualTo(3 * text.codePointCount(0, text.length()));
        assertThat(StreamContract.violations(stream, false)).isEmpty();
        assertThat(RoundTrip.accumulate(stream)).isEqualTo(RoundTrip.expected(response, false));
    }
}
