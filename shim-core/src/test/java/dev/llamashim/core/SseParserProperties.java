package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The SSE reader does not care where the network cut the stream, and reads back what
 * {@link SseChunk#render()} writes, whatever the line endings.
 */
class SseParserProperties {

    /** Events, the line ending they are framed with, and whether a BOM opens the stream. */
    record Framed(List<SseChunk> events, String lineEnd, boolean bom) {

        byte[] bytes() {
            StringBuilder text = new StringBuilder(bom ? "\uFEFF" : "");
            for (SseChunk event : events) {
                // render() ends every line with \n and adds no other line break.
                text.append(event.render().replace("\n", lineEnd));
            }
            return text.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** What a reader must hand on: data line breaks become \n, data "[DONE]" the DONE event. */
        List<SseChunk> expected() {
            List<SseChunk> expected = new ArrayList<>();
            for (SseChunk event : events) {
                if (event instanceof SseChunk.Data data) {
                    String text = data.data().replace("\r\n", "\n").replace('\r', '\n');
                    expected.add(text.equals("[DONE]") ? SseChunk.DONE : SseChunk.data(text));
                } else {
                    expected.add(event);
                }
            }
            return expected;
        }

        @Override
        public String toString() {
            return "lineEnd=" + lineEnd.replace("\r", "\\r").replace("\n", "\\n") + " bom=" + bom + " "
                    + new String(bytes(), StandardCharsets.UTF_8).replace("\r", "\\r").replace("\n", "\\n");
        }
    }

    @Property(tries = 500)
    void renderedEventsParseBackWithAnyLineEnding(@ForAll("framed") Framed framed) {
        assertThat(SseParser.parseAll(framed.bytes())).isEqualTo(framed.expected());
    }

    @Property(tries = 500)
    void feedingInRandomPiecesGivesTheSameEventsAsParseAll(
            @ForAll("framed") Framed framed, @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 4000) Integer> cuts) {
        byte[] stream = framed.bytes();

        assertThat(feedInPieces(stream, cuts)).isEqualTo(SseParser.parseAll(stream));
    }

    @Property(tries = 500)
    void anyBytesInAnyPiecesGiveTheSameEventsAsParseAll(
            @ForAll("noise") byte[] stream, @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 400) Integer> cuts) {
        assertThat(feedInPieces(stream, cuts)).isEqualTo(SseParser.parseAll(stream));
    }

    /** Feeds {@code stream} cut at {@code cuts} (positions modulo its length), alternating the two feed methods. */
    private static List<SseChunk> feedInPieces(byte[] stream, List<Integer> cuts) {
        List<Integer> points = new ArrayList<>();
        for (int cut : cuts) {
            points.add(stream.length == 0 ? 0 : cut % (stream.length + 1));
        }
        points.add(0);
        points.add(stream.length);
        points.sort(Integer::compare);
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        for (int i = 0; i + 1 < points.size(); i++) {
            int from = points.get(i);
            int to = points.get(i + 1);
            if (i % 2 == 0) {
                parser.feed(stream, from, to - from);
            } else {
                parser.feed(ByteBuffer.wrap(stream, from, to - from));
            }
        }
        parser.finish();
        return events;
    }

    @Provide
    Arbitrary<Framed> framed() {
        Arbitrary<SseChunk> event = Arbitraries.frequencyOf(
                Tuple.of(6, text(true).map(SseChunk::data)),
                Tuple.of(1, Arbitraries.of("{\"choices\":[]}", "[DONE]", "", " leading space").map(SseChunk::data)),
                Tuple.of(2, text(false).map(SseChunk::comment)),
                Tuple.of(1, Arbitraries.just(SseChunk.DONE)));
        return Combinators.combine(event.list().ofMaxSize(8), Arbitraries.of("\n", "\r\n", "\r"), Arbitraries.of(false, false, true))
                .as(Framed::new);
    }

    /** Bytes that look like SSE: field names, colons, line breaks of every kind, multi-byte UTF-8 and junk. */
    @Provide
    Arbitrary<byte[]> noise() {
        Arbitrary<byte[]> piece = Arbitraries.<byte[]>frequencyOf(
                Tuple.of(3, Arbitraries.of("data:", "data: ", ":", ": ping", "event: x", "id: 1", "[DONE]", "{\"a\":1}")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(4, Arbitraries.of("\n", "\r", "\r\n", "\n\n", "\r\n\r\n").map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(2, Arbitraries.of("é", "😀", "中", "\uFEFF").map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(4)));
        return piece.list().ofMaxSize(40).map(pieces -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            pieces.forEach(out::writeBytes);
            return out.toByteArray();
        });
    }

    /** Text with line breaks of every kind (for data) or without any (for comments). */
    private static Arbitrary<String> text(boolean lineBreaks) {
        Arbitrary<String> plain = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(8)),
                Tuple.of(2, Arbitraries.of("é", "😀", "👩\u200D💻", "中文", "\u2028", "\u0085", "\uFEFF", ":", "data: ")));
        Arbitrary<String> piece = lineBreaks
                ? Arbitraries.frequencyOf(Tuple.of(4, plain), Tuple.of(1, Arbitraries.of("\n", "\r", "\r\n", "\n\n")))
                : plain;
        return piece.list().ofMaxSize(6).map(pieces -> String.join("", pieces));
    }
}
