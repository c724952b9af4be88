package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.TextPiece.Text;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The extractor over generated texts: any split gives what the whole text gives, text that holds
 * no call comes out byte for byte, and text without markers is never held.
 */
class TextToolCallExtractorProperties {

    /** Pieces of content as models write it: every family's blocks (good and bad), prose, stray markers. */
    private static final List<String> SNIPPETS = List.of(
            "Let me check the weather. ", "\n\n", "  ", "Sure!", "a < b and c > d; x[0] = {y}. ",
            "Über 😀 naïve｜▁ text ", "{\"note\": 1} ", "{", "}", "[", "]", "<", "|", "｜",
            "<tool_call>", "</tool_call>", "<tool_", "[TOOL_", "<|python", "<｜tool▁calls", "<|tool_calls_section_",
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"days\": 3}}\n</tool_call>",
            "<tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call>",
            "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"zone\": \"U",
            "<tool_call>\n<function=set_alarm>\n<parameter=hour>\n7\n</parameter>\n<parameter=note>\nnull\n</parameter>\n</function>\n</tool_call>",
            "<tool_call>\n<function=get_time>\n<parameter=zone>\nUTC\n</parameter>\n",
            "<tool_call>get_weather\n<arg_key>location</arg_key>\n<arg_value>Rome</arg_value>\n</tool_call>",
            "<tool_call>nope<arg_key>a</arg_key><arg_value>b</arg_value></tool_call>",
            "[TOOL_CALLS] [{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}]",
            "[TOOL_CALLS]get_weather[ARGS]{\"location\": \"Paris\"}", "[TOOL_CALLS]get_time{\"zone\": \"UTC\"}",
            "[TOOL_CALLS]delete[ARGS]{}", "[TOOL_CALLS]get_weather[ARGS]{\"location\": ",
            "<|python_tag|>{\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}", "<|python_tag|>print(1)",
            "{\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}", "{\"name\": \"get_tim",
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_time:0<|tool_call_argument_begin|>{\"zone\": \"UTC\"}<|tool_call_end|><|tool_calls_section_end|>",
            "<|tool_calls_section_begin|>\n<|tool_call_begin|>functions.get_weather:1<|tool_call_argument_begin|>{\"location\": \"Oslo\"}<|tool_call_end|>\n",
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"zone\": \"UTC\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"zone\"");

    @Property(tries = 1000)
    void anySplitGivesWhatTheWholeTextGives(@ForAll("texts") String text, @ForAll("cuts") List<Integer> cuts) {
        List<TextPiece> whole = TextToolCallExtractor.extractAll(text, TextToolCallExtractorTest.TOOLS);

        List<TextPiece> fed = feedInPieces(text, cuts);

        assertThat(merged(fed)).isEqualTo(whole);
    }

    @Property(tries = 1000)
    void textWithoutCallsComesOutByteForByte(@ForAll("texts") String text, @ForAll("cuts") List<Integer> cuts) {
        List<TextPiece> fed = feedInPieces(text, cuts);

        if (fed.stream().allMatch(piece -> piece instanceof Text)) {
            StringBuilder out = new StringBuilder();
            fed.forEach(piece -> out.append(((Text) piece).text()));
            assertThat(out.toString()).isEqualTo(text);
        }
    }

    @Property(tries = 500)
    void textWithoutMarkersIsReleasedByTheFeedThatBroughtIt(@ForAll("plainPieces") List<String> pieces) {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TextToolCallExtractorTest.TOOLS);
        for (String piece : pieces) {
            assertThat(extractor.feed(piece)).containsExactly(new Text(piece));
        }
        assertThat(extractor.finish()).isEmpty();
    }

    private static List<TextPiece> feedInPieces(String text, List<Integer> cuts) {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TextToolCallExtractorTest.TOOLS);
        List<TextPiece> out = new ArrayList<>();
        int from = 0;
        TreeSet<Integer> points = new TreeSet<>();
        cuts.forEach(cut -> points.add(text.isEmpty() ? 0 : cut % (text.length() + 1)));
        points.add(text.length());
        for (int point : points) {
            out.addAll(extractor.feed(text.substring(from, point)));
            from = point;
        }
        out.addAll(extractor.finish());
        return out;
    }

    private static List<TextPiece> merged(List<TextPiece> pieces) {
        List<TextPiece> out = new ArrayList<>();
        for (TextPiece piece : pieces) {
            if (piece instanceof Text text && !out.isEmpty() && out.get(out.size() - 1) instanceof Text previous) {
                out.set(out.size() - 1, new Text(previous.text() + text.text()));
            } else {
                out.add(piece);
            }
        }
        return out;
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.of(SNIPPETS).list().ofMaxSize(8).map(list -> String.join("", list));
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 100_000).list().ofMaxSize(40);
    }

    /** Text without {@code <} or {@code [} that does not open with {@code {}: nothing in it can begin a marker. */
    @Provide
    Arbitrary<List<String>> plainPieces() {
        Arbitrary<String> piece = Arbitraries.strings()
                .withChars("abcXYZ 019\n\t.,;:!?\"'(){}]>|/\\-_é｜▁😀")
                .ofMinLength(1).ofMaxLength(12);
        return piece.list().ofMinSize(1).ofMaxSize(30)
                .filter(list -> !String.join("", list).strip().startsWith("{"));
    }
}
