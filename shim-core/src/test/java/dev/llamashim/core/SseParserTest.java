package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseParserTest {

    private static List<SseChunk> parse(String stream) {
        return SseParser.parseAll(stream.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "line end {0}")
    @ValueSource(strings = {"\n", "\r\n", "\r"})
    void acceptsEachLineEnding(String eol) {
        String stream = "data: {\"a\":1}" + eol + eol + ": ping" + eol + eol + "data: [DONE]" + eol + eol;

        assertThat(parse(stream)).containsExactly(SseChunk.data("{\"a\":1}"), SseChunk.comment("ping"), SseChunk.DONE);
    }

    @Test
    void mixedLineEndingsInOneStream() {
        assertThat(parse("data: a\r\n\ndata: b\r\rdata: c\n\r\n"))
                .containsExactly(SseChunk.data("a"), SseChunk.data("b"), SseChunk.data("c"));
    }

    @Test
    void carriageReturnAndLineFeedSplitAcrossFeedsCountAsOneLineEnd() {
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        byte[] first = "data: a\r".getBytes(StandardCharsets.UTF_8);
        byte[] second = "\n\r\ndata: b\r\n\r\n".getBytes(StandardCharsets.UTF_8);

        parser.feed(first, 0, first.length);
        parser.feed(second, 0, second.length);
        parser.finish();

        assertThat(events).containsExactly(SseChunk.data("a"), SseChunk.data("b"));
    }

    @Test
    void joinsSeveralDataLinesWithLineFeeds() {
        assertThat(parse("data: first\ndata: second\r\ndata:third\rdata\n\n"))
                .containsExactly(SseChunk.data("first\nsecond\nthird\n"));
    }

    @Test
    void dropsOnlyOneSpaceAfterTheColon() {
        assertThat(parse("data:  two spaces\n\ndata:none\n\ndata:\n\n"))
                .containsExactly(SseChunk.data(" two spaces"), SseChunk.data("none"), SseChunk.data(""));
    }

    @Test
    void handsOnCommentsWithoutTheirColonAndOneSpace() {
        assertThat(parse(":\n\n: keep-alive\n:no space\n:  two\n\n"))
                .containsExactly(SseChunk.comment(""), SseChunk.comment("keep-alive"), SseChunk.comment("no space"),
                        SseChunk.comment(" two"));
    }

    @Test
    void commentInsideAnEventDoesNotEndIt() {
        assertThat(parse("data: a\n: ping\ndata: b\n\n"))
                .containsExactly(SseChunk.comment("ping"), SseChunk.data("a\nb"));
    }

    @Test
    void ignoresEventIdRetryAndUnknownFields() {
        assertThat(parse("event: message\nid: 7\nretry: 1000\nfoo: bar\ndata: x\nDATA: y\n\nevent: only\n\n"))
                .containsExactly(SseChunk.data("x"));
    }

    @Test
    void blankLinesWithoutDataDispatchNothing() {
        assertThat(parse("\n\n\n\r\n\r\r")).isEmpty();
    }

    @Test
    void recognisesDoneOnlyAsTheWholeData() {
        assertThat(parse("data: [DONE]\n\ndata:[DONE]\n\ndata: [DONE] \n\ndata: [DONE]\ndata: x\n\n"))
                .containsExactly(SseChunk.DONE, SseChunk.DONE, SseChunk.data("[DONE] "), SseChunk.data("[DONE]\nx"));
    }

    @Test
    void finishDeliversAFinalEventWithoutItsBlankLine() {
        assertThat(parse("data: a\n\ndata: [DONE]")).containsExactly(SseChunk.data("a"), SseChunk.DONE);
        assertThat(parse("data: a\n\ndata: b\n")).containsExactly(SseChunk.data("a"), SseChunk.data("b"));
        assertThat(parse("data: a\ndata: b\r")).containsExactly(SseChunk.data("a\nb"));
    }

    @Test
    void finishTwiceDeliversNothingMore() {
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        byte[] bytes = "data: a".getBytes(StandardCharsets.UTF_8);
        parser.feed(bytes, 0, bytes.length);

        parser.finish();
        parser.finish();

        assertThat(events).containsExactly(SseChunk.data("a"));
    }

    @Test
    void skipsAByteOrderMarkAtTheStart() {
        assertThat(parse("\uFEFFdata: a\n\n")).containsExactly(SseChunk.data("a"));
        assertThat(parse("\uFEFF: hi\n\n")).containsExactly(SseChunk.comment("hi"));
        assertThat(parse("\uFEFF\ndata: a\n\n")).containsExactly(SseChunk.data("a"));
    }

    @Test
    void keepsAByteOrderMarkAnywhereElse() {
        // Only the stream's first bytes can be a BOM; later it is a character of the line.
        assertThat(parse("data: a\n\n\uFEFFdata: b\n\ndata: \uFEFFc\n\n"))
                .containsExactly(SseChunk.data("a"), SseChunk.data("\uFEFFc"));
    }

    @Test
    void decodesUtf8SplitAcrossFeeds() {
        byte[] bytes = "data: 😀 é 中\n\n".getBytes(StandardCharsets.UTF_8);
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);

        for (int i = 0; i < bytes.length; i++) {
            parser.feed(bytes, i, 1);
        }
        parser.finish();

        assertThat(events).containsExactly(SseChunk.data("😀 é 中"));
    }

    @Test
    void malformedUtf8BecomesReplacementCharacters() {
        byte[] bytes = {'d', 'a', 't', 'a', ':', ' ', 'a', (byte) 0xC3, 'b', '\n', '\n'};

        assertThat(SseParser.parseAll(bytes)).containsExactly(SseChunk.data("a\uFFFDb"));
    }

    @Test
    void feedsFromAByteBuffer() {
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        ByteBuffer buffer = ByteBuffer.wrap("xxdata: a\n\nyy".getBytes(StandardCharsets.UTF_8), 2, 9);

        parser.feed(buffer);
        parser.finish();

        assertThat(events).containsExactly(SseChunk.data("a"));
        assertThat(buffer.hasRemaining()).isFalse();
    }

    @Test
    void feedsASliceOfAnArray() {
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        byte[] bytes = "xxdata: a\n\nyy".getBytes(StandardCharsets.UTF_8);

        parser.feed(bytes, 2, 9);
        parser.finish();

        assertThat(events).containsExactly(SseChunk.data("a"));
        assertThatThrownBy(() -> parser.feed(bytes, 10, 9)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void rejectsALineLongerThanTheLimit() {
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add, 10);
        byte[] fits = "data: 1234\n\n".getBytes(StandardCharsets.UTF_8); // "data: 1234" is exactly 10 bytes
        byte[] tooLong = "data: 12345\n\n".getBytes(StandardCharsets.UTF_8);

        parser.feed(fits, 0, fits.length);
        assertThat(events).containsExactly(SseChunk.data("1234"));
        assertThatThrownBy(() -> parser.feed(tooLong, 0, tooLong.length))
                .isInstanceOf(ShimException.class)
                .hasMessage("event stream: a line is longer than 10 bytes");
    }

    @Test
    void lineLimitAppliesToLinesBuiltAcrossManyFeeds() {
        SseParser parser = new SseParser(event -> {}, 300);
        byte[] piece = "x".repeat(100).getBytes(StandardCharsets.UTF_8);

        parser.feed(piece, 0, piece.length);
        parser.feed(piece, 0, piece.length);
        parser.feed(piece, 0, piece.length);
        assertThatThrownBy(() -> parser.feed(piece, 0, 1))
                .isInstanceOf(ShimException.class)
                .hasMessage("event stream: a line is longer than 300 bytes");
    }

    @Test
    void longLinesUnderTheDefaultLimitAreRead() {
        String data = "y".repeat(100_000);

        assertThat(parse("data: " + data + "\n\n")).containsExactly(SseChunk.data(data));
        assertThat(SseParser.DEFAULT_MAX_LINE_BYTES).isEqualTo(16 * 1024 * 1024);
    }

    @Test
    void rejectsALimitBelowOne() {
        assertThatThrownBy(() -> new SseParser(event -> {}, 0))
                .isInstanceOf(ShimException.class)
                .hasMessage("maxLineBytes must be at least 1, got 0");
    }

    @Test
    void rejectsFeedingAfterFinish() {
        SseParser parser = new SseParser(event -> {});
        parser.finish();

        assertThatThrownBy(() -> parser.feed(new byte[] {'a'}, 0, 1))
                .isInstanceOf(ShimException.class)
                .hasMessage("event stream: fed after finish()");
        assertThatThrownBy(() -> parser.feed(ByteBuffer.wrap(new byte[] {'a'})))
                .isInstanceOf(ShimException.class)
                .hasMessage("event stream: fed after finish()");
    }

    @Test
    void renderedEventsParseBackToThemselves() {
        List<SseChunk> events = List.of(
                SseChunk.data("{\"a\":\"b\"}"),
                SseChunk.comment(""),
                SseChunk.comment("keep-alive"),
                SseChunk.data("two\nlines"),
                SseChunk.data(""),
                SseChunk.DONE);
        StringBuilder stream = new StringBuilder();
        events.forEach(event -> stream.append(event.render()));

        assertThat(stream.toString()).isEqualTo(
                "data: {\"a\":\"b\"}\n\n:\n\n: keep-alive\n\ndata: two\ndata: lines\n\ndata: \n\ndata: [DONE]\n\n");
        assertThat(parse(stream.toString())).containsExactlyElementsOf(events);
    }

    @Test
    void dataWithCarriageReturnsRendersOneLinePerLineBreak() {
        assertThat(SseChunk.data("a\r\nb\rc\nd").render()).isEqualTo("data: a\ndata: b\ndata: c\ndata: d\n\n");
        assertThat(parse(SseChunk.data("a\r\nb\rc").render())).containsExactly(SseChunk.data("a\nb\nc"));
        assertThat(SseChunk.comment("x\ny").render()).isEqualTo(": x\n: y\n\n");
    }

    @Test
    void sinkMayBeAnyConsumerAndIsCalledInStreamOrder() {
        List<String> seen = new ArrayList<>();
        SseParser parser = new SseParser(event -> seen.add(event.render().strip()));
        byte[] bytes = "data: 1\n\n: c\n\ndata: 2\n\n".getBytes(StandardCharsets.UTF_8);

        parser.feed(bytes, 0, bytes.length);

        assertThat(seen).containsExactly("data: 1", ": c", "data: 2");
        assertThatThrownBy(() -> new SseParser(null)).isInstanceOf(NullPointerException.class);
    }
}
