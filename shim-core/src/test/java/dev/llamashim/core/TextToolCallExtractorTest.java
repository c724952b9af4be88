package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.TextPiece.Call;
import dev.llamashim.core.TextPiece.Text;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each markup family read from text as models write it, and what must stay text. */
class TextToolCallExtractorTest {

    /** The tools the tests' requests declare: strings, and every typed kind for XML values. */
    static final DeclaredTools TOOLS = DeclaredTools.fromRequest("""
            {"tools":[
              {"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
                "properties":{"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},
                              "days":{"type":"integer"}}}}},
              {"type":"function","function":{"name":"get_time","parameters":{"type":"object",
                "properties":{"zone":{"type":"string"}}}}},
              {"type":"function","function":{"name":"set_alarm","parameters":{"type":"object","properties":{
                "hour":{"type":"integer"},"ratio":{"type":"number"},"loud":{"type":"boolean"},
                "tags":{"type":"array"},"options":{"type":"object"},"note":{"type":["string","null"]},
                "label":{"anyOf":[{"type":"integer"},{"type":"string"}]},"code":{"type":"string"}}}}}]}
            """.getBytes(StandardCharsets.UTF_8));

    private static final ObjectMapper JSON = new ObjectMapper();

    static List<TextPiece> all(String text) {
        return TextToolCallExtractor.extractAll(text, TOOLS);
    }

    static Call call(String name, String arguments, ToolCallFormat format) {
        return new Call(name, arguments, format);
    }

    private static void assertText(String text) {
        assertThat(all(text)).containsExactly(new Text(text));
    }

    // ---- Hermes / Qwen 2.5 / Qwen 3

    @Test
    void hermesBlockWithNewlinesBetweenTextIsACall() {
        String text = "Let me check.\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>\nDone.";
        assertThat(all(text)).containsExactly(
                new Text("Let me check.\n\n"),
                call("get_weather", "{\"location\":\"Paris\",\"unit\":\"celsius\"}", ToolCallFormat.HERMES),
                new Text("\nDone."));
    }

    @Test
    void twoHermesBlocksInARowAreTwoCalls() {
        String text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"Europe/Paris\"}}\n</tool_call>";
        assertThat(all(text)).containsExactly(
                call("get_weather", "{\"location\":\"Paris\"}", ToolCallFormat.HERMES),
                new Text("\n"),
                call("get_time", "{\"zone\":\"Europe/Paris\"}", ToolCallFormat.HERMES));
    }

    @Test
    void argumentsKeepExactNumbersAndAStringHoldingAnObjectCounts() {
        assertThat(all("<tool_call>{\"name\":\"set_alarm\",\"arguments\":{\"hour\":123456789012345678901234567890,\"ratio\":0.10000000000000000000001,\"x\":1.50}}</tool_call>"))
                .containsExactly(call("set_alarm", "{\"hour\":123456789012345678901234567890,\"ratio\":0.10000000000000000000001,\"x\":1.50}", ToolCallFormat.HERMES));
        assertThat(all("<tool_call>{\"name\":\"get_time\",\"arguments\":\"{\\\"zone\\\": \\\"UTC\\\"}\"}</tool_call>"))
                .containsExactly(call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.HERMES));
        assertThat(all("<tool_call>{\"name\":\"get_time\"}</tool_call>"))
                .containsExactly(call("get_time", "{}", ToolCallFormat.HERMES));
    }

    @Test
    void aHermesBlockMissingOnlyItsClosingTagAtTheEndIsACall() {
        assertThat(all("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}\n"))
                .containsExactly(call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.HERMES));
    }

    // ---- Qwen3-Coder

    @Test
    void qwen3CoderValuesLoseTheTemplateNewlinesAndAreTypedByTheSchema() {
        String text = "I'll set it.\n<tool_call>\n<function=set_alarm>\n<parameter=hour>\n7\n</parameter>\n"
                + "<parameter=ratio>\n1e400\n</parameter>\n<parameter=loud>\nTrue\n</parameter>\n"
                + "<parameter=tags>\n[\"a\", 1]\n</parameter>\n<parameter=options>\n{\"snooze\": 5}\n</parameter>\n"
                + "<parameter=note>\nnull\n</parameter>\n<parameter=label>\nwake up\n</parameter>\n"
                + "<parameter=code>\n  x = 1\n\n</parameter>\n<parameter=extra>\n42\n</parameter>\n</function>\n</tool_call>";
        assertThat(all(text)).containsExactly(new Text("I'll set it.\n"), call("set_alarm",
                "{\"hour\":7,\"ratio\":1E+400,\"loud\":true,\"tags\":[\"a\",1],\"options\":{\"snooze\":5},\"note\":null,"
                        + "\"label\":\"wake up\",\"code\":\"  x = 1\\n\",\"extra\":\"42\"}",
                ToolCallFormat.QWEN3_CODER));
    }

    @Test
    void qwen3CoderValueThatDoesNotParseAsItsTypeStaysAString() {
        assertThat(all("<tool_call>\n<function=get_weather>\n<parameter=location>\nParis\n</parameter>\n<parameter=days>\nthree\n</parameter>\n</function>\n</tool_call>"))
                .containsExactly(call("get_weather", "{\"location\":\"Paris\",\"days\":\"three\"}", ToolCallFormat.QWEN3_CODER));
    }

    @Test
    void severalQwen3CoderFunctionsInOneBlockAreSeveralCalls() {
        assertThat(all("<tool_call>\n<function=get_time>\n<parameter=zone>\nUTC\n</parameter>\n</function>\n"
                + "<function=get_weather>\n<parameter=location>\nRome\n</parameter>\n</function>\n</tool_call>"))
                .containsExactly(call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.QWEN3_CODER),
                        call("get_weather", "{\"location\":\"Rome\"}", ToolCallFormat.QWEN3_CODER));
    }

    // ---- GLM

    @Test
    void glmPairsAreTypedByTheSchema() {
        String text = "<tool_call>set_alarm\n<arg_key>hour</arg_key>\n<arg_value>7</arg_value>\n"
                + "<arg_key>loud</arg_key>\n<arg_value>false</arg_value>\n<arg_key>code</arg_key>\n<arg_value> 12 </arg_value>\n</tool_call>";
        assertThat(all(text)).containsExactly(
                call("set_alarm", "{\"hour\":7,\"loud\":false,\"code\":\" 12 \"}", ToolCallFormat.GLM));
        assertThat(all("<tool_call>get_time</tool_call>")).containsExactly(call("get_time", "{}", ToolCallFormat.GLM));
    }

    // ---- Mistral

    @Test
    void mistralArrayOfCallsIsSeveralCalls() {
        assertThat(all("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}]"))
                .containsExactly(call("get_weather", "{\"location\":\"Paris\"}", ToolCallFormat.MISTRAL),
                        call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.MISTRAL));
    }

    @Test
    void mistralNameArgsFormRepeatedIsOneCallPerMarker() {
        assertThat(all("Sure.[TOOL_CALLS]get_weather[ARGS]{\"location\": \"Paris\"}[TOOL_CALLS]get_time[ARGS]{\"zone\": \"UTC\"}"))
                .containsExactly(new Text("Sure."), call("get_weather", "{\"location\":\"Paris\"}", ToolCallFormat.MISTRAL),
                        call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.MISTRAL));
        assertThat(all("[TOOL_CALLS]get_time{\"zone\": \"UTC\"}"))
                .containsExactly(call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.MISTRAL));
    }

    // ---- Llama 3.x

    @Test
    void llamaPythonTagAndWholeContentObjectAreCalls() {
        assertThat(all("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}"))
                .containsExactly(call("get_weather", "{\"location\":\"Paris\"}", ToolCallFormat.LLAMA3));
        assertThat(all("\n{\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}"))
                .containsExactly(new Text("\n"), call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.LLAMA3));
    }

    @Test
    void aJsonObjectThatIsNotADeclaredCallStaysText() {
        assertText("{\"name\": \"rm_rf\", \"parameters\": {}}");
        assertText("{\"answer\": 42}");
        assertText("Here: {\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}");
        assertText("{\"name\": \"get_time\", \"parameters\": {}, \"arguments\": {}}");
    }

    // ---- Kimi K2

    @Test
    void kimiSectionWithTwoCallsIsTwoCalls() {
        String text = "Checking both.<|tool_calls_section_begin|>\n<|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"location\": \"Paris\"}<|tool_call_end|>\n"
                + "<|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>{\"zone\": \"UTC\"}<|tool_call_end|>\n<|tool_calls_section_end|>";
        assertThat(all(text)).containsExactly(new Text("Checking both."),
                call("get_weather", "{\"location\":\"Paris\"}", ToolCallFormat.KIMI_K2),
                call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.KIMI_K2));
    }

    // ---- DeepSeek V3.1

    @Test
    void deepSeekSectionWithFullwidthTokensIsCalls() {
        String text = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"location\": \"Paris\"}<｜tool▁call▁end｜>"
                + "<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"zone\": \"UTC\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        assertThat(all(text)).containsExactly(
                call("get_weather", "{\"location\":\"Paris\"}", ToolCallFormat.DEEPSEEK_V31),
                call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.DEEPSEEK_V31));
    }

    // ---- what stays text, unchanged

    @Test
    void undeclaredNamesBrokenJsonAndProseStayTextUnchanged() {
        assertText("<tool_call>\n{\"name\": \"delete_everything\", \"arguments\": {}}\n</tool_call>");
        assertText("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Par}\n</tool_call>");
        assertText("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": [1, 2]}\n</tool_call>");
        assertText("To call a tool, write <tool_call> then JSON then </tool_call>.");
        assertText("Wrap it as `<tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>` please.");
        assertText("[TOOL_CALLS] is Mistral's marker, [ARGS] too.");
        assertText("<|tool_calls_section_begin|><|tool_call_begin|>functions.rm:0<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>");
        assertText("<tool_call>\n<function=get_weather>\n<parameter=location>\nParis\n</parameter>\n</tool_call>");
        assertText("<tool_call>get_weather<arg_key>location</arg_key><arg_value>Paris</arg_value>");
    }

    @Test
    void aBlockWithOneBadCallStaysTextWhole() {
        assertText("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}, {\"name\": \"rm\", \"arguments\": {}}]");
        assertText("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"location\": \"Paris\"}<｜tool▁call▁end｜>"
                + "<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"zone\": <｜tool▁call▁end｜><｜tool▁calls▁end｜>");
    }

    @Test
    void truncatedBlocksAndMarkersAtTheVeryEndStayText() {
        assertText("Calling now <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Pa");
        assertText("Calling now <tool_ca");
        assertText("Calling now [TOOL_CALLS]get_weather[ARGS]{\"location\":");
        assertText("Calling now <|python_tag|>{\"name\": \"get_time\"");
    }

    @Test
    void aValidBlockAfterAProseMentionOfTheTagIsStillFound() {
        assertThat(all("The <tool_call> tag: <tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>"))
                .containsExactly(new Text("The <tool_call> tag: "), call("get_time", "{}", ToolCallFormat.HERMES));
    }

    @Test
    void noToolsDeclaredMeansNothingIsExtracted() {
        String text = "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>";
        assertThat(TextToolCallExtractor.extractAll(text, DeclaredTools.NONE)).containsExactly(new Text(text));
    }

    // ---- streaming

    @Test
    void proseIsReleasedByTheFeedThatBroughtIt() {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        assertThat(extractor.feed("Hello")).containsExactly(new Text("Hello"));
        assertThat(extractor.feed(", a < b and [1] ")).containsExactly(new Text(", a < b and [1] "));
        assertThat(extractor.feed("then <tool")).containsExactly(new Text("then "));
        assertThat(extractor.feed("box> ok")).containsExactly(new Text("<toolbox> ok"));
        assertThat(extractor.finish()).isEmpty();
    }

    @Test
    void aMarkerSplitAcrossFeedsHoldsOnlyFromTheMarker() {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        List<TextPiece> out = new ArrayList<>();
        out.addAll(extractor.feed("Sure! <tool"));
        assertThat(out).containsExactly(new Text("Sure! "));
        for (String piece : List.of("_call>\n{\"name\"", ": \"get_time\", \"argu", "ments\": {\"zone\": \"UTC\"}}\n</tool")) {
            assertThat(extractor.feed(piece)).as("held until the block closes").isEmpty();
        }
        assertThat(extractor.feed("_call>")).containsExactly(call("get_time", "{\"zone\":\"UTC\"}", ToolCallFormat.HERMES));
        assertThat(extractor.feed(" Anything else?")).containsExactly(new Text(" Anything else?"));
        out = new ArrayList<>(extractor.feed("<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>"));
        assertThat(out).containsExactly(call("get_weather", "{}", ToolCallFormat.HERMES));
        assertThat(extractor.finish()).isEmpty();
    }

    @Test
    void theBlockBeforeTheTextAfterItComesOutInOneFeed() {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        assertThat(extractor.feed("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}")).isEmpty();
        assertThat(extractor.feed("</tool_call>\nDone")).containsExactly(call("get_time", "{}", ToolCallFormat.HERMES), new Text("\nDone"));
    }

    @Test
    void aBareObjectIsReleasedAsSoonAsItCannotBeADeclaredCall() {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        assertThat(extractor.feed("  ")).containsExactly(new Text("  "));
        assertThat(extractor.feed("{\"na")).isEmpty();
        assertThat(extractor.feed("me\": \"get_")).isEmpty();
        assertThat(extractor.feed("x")).containsExactly(new Text("{\"name\": \"get_x"));
        extractor = new TextToolCallExtractor(TOOLS);
        assertThat(extractor.feed("{\"result\": 1}")).containsExactly(new Text("{\"result\": 1}"));
    }

    @Test
    void proseThatOpensATagIsReleasedWithoutWaitingForAClosingTag() {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        assertThat(extractor.feed("Use <tool_call>")).containsExactly(new Text("Use "));
        assertThat(extractor.feed(" tags")).containsExactly(new Text("<tool_call> tags"));
    }

    @Test
    void aBlockNotClosedWithinTheHoldLimitIsReleasedAsText() {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        String opening = "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"zone\": \"";
        assertThat(extractor.feed(opening)).isEmpty();
        String filler = "x".repeat(1024);
        List<TextPiece> released = new ArrayList<>();
        int fed = opening.length();
        while (released.isEmpty()) {
            released.addAll(extractor.feed(filler));
            fed += filler.length();
        }
        assertThat(fed).isBetween(TextToolCallExtractor.HOLD_LIMIT, TextToolCallExtractor.HOLD_LIMIT + filler.length());
        assertThat(((Text) released.get(0)).text()).startsWith(opening);
        assertThat(extractor.feed("\"}}</tool_call>")).containsExactly(new Text("\"}}</tool_call>"));
    }

    @Test
    void callArgumentsAreJsonObjects() throws Exception {
        for (TextPiece piece : all("[TOOL_CALLS]get_weather[ARGS]{\"location\": \"Paris\", \"days\": 3}")) {
            JsonNode arguments = JSON.readTree(((Call) piece).arguments());
            assertThat(arguments.isObject()).isTrue();
            assertThat(arguments.path("days").asInt()).isEqualTo(3);
        }
    }
}
