package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ChatResponse#parse}: what it rejects (and how it says so) and what it fills in. */
class ChatResponseParseTest {

    /** A response whose first choice's message is {@code message}. */
    private static String withMessage(String message) {
        return "{\"id\":\"chatcmpl-1\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":"
                + message + ",\"finish_reason\":\"stop\"}]}";
    }

    /** A response whose first choice has one tool call {@code call}. */
    private static String withCall(String call) {
        return withMessage("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + call + "]}");
    }

    private static ToolCall onlyCall(String call) {
        return ChatResponse.parse(withCall(call)).choices().get(0).message().toolCalls().get(0);
    }

    // --- what it rejects ---

    @Test
    void rejectsBytesThatAreNotJsonSayingWhere() {
        assertThatThrownBy(() -> ChatResponse.parse("{\"choices\": [}"))
                .isInstanceOf(ShimException.class)
                .hasMessageStartingWith("chat completion is not valid JSON at line 1, column 14: Unexpected close marker '}'");
        assertThatThrownBy(() -> ChatResponse.parse("<html>502 Bad Gateway</html>"))
                .isInstanceOf(ShimException.class)
                .hasMessageStartingWith("chat completion is not valid JSON at line 1, column 1: Unexpected character ('<'");
        assertThatThrownBy(() -> ChatResponse.parse("{\"choices\":[]"))
                .isInstanceOf(ShimException.class)
                .hasMessageStartingWith("chat completion is not valid JSON")
                .hasMessageContaining("end-of-input");
    }

    @Test
    void notJsonMessageDoesNotEchoTheInput() {
        String secret = "sk-secret-token-that-must-not-be-logged";

        assertThatThrownBy(() -> ChatResponse.parse("{\"choices\":[], \"x\": " + secret + "}"))
                .isInstanceOf(ShimException.class)
                .hasMessageNotContaining("must-not-be-logged");
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "[]                 | chat completion: expected an object, found an array",
        "42                 | chat completion: expected an object, found an integer",
        "\"text\"           | chat completion: expected an object, found a string",
        "null               | chat completion: expected an object, found null",
        "''                 | chat completion: expected an object, found end of input",
    })
    void rejectsJsonThatIsNotAnObject(String json, String message) {
        assertThatThrownBy(() -> ChatResponse.parse(json))
                .isInstanceOf(ShimException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsTrailingContentAfterTheObject() {
        String one = "{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}";
        assertThatThrownBy(() -> ChatResponse.parse(one + " " + one))
                .isInstanceOf(ShimException.class)
                .hasMessage("chat completion: unexpected content after the JSON object");
    }

    @Test
    void rejectsAResponseWithNoChoiceToStream() {
        assertThatThrownBy(() -> ChatResponse.parse("{\"id\":\"x\",\"choices\":[],\"timings\":{}}"))
                .isInstanceOf(ShimException.class)
                .hasMessage("chat completion: \"choices\" is empty");
    }

    @Test
    void toolCallsThatShareAnIndexAreNumberedByPositionSoClientsDoNotMergeThem() {
        // Ollama's OpenAI layer numbers every call 0 (ollama/ollama#15497).
        String json = "{\"choices\":[{\"message\":{\"tool_calls\":["
                + "{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},"
                + "{\"index\":0,\"function\":{\"name\":\"g\",\"arguments\":\"[]\"}}]}}]}";

        List<ToolCall> calls = ChatResponse.parse(json).choices().get(0).message().toolCalls();

        assertThat(calls).extracting(ToolCall::index, ToolCall::name)
                .containsExactly(tuple(0, "f"), tuple(1, "g"));
    }

    @Test
    void rejectsTwoChoicesWithOneIndex() {
        String json = "{\"choices\":[{\"index\":1,\"message\":{\"content\":\"a\"}},{\"index\":1,\"message\":{\"content\":\"b\"}}]}";
        assertThatThrownBy(() -> ChatResponse.parse(json))
                .isInstanceOf(ShimException.class)
                .hasMessage("choices[1]: index 1 is used twice");
    }

    @Test
    void anEmptyCompletionIdIsReplacedLikeAMissingOne() {
        ChatResponse response = ChatResponse.parse("{\"id\":\"\",\"choices\":[{\"message\":{\"content\":\"hi\"}}]}");
        assertThat(response.id()).matches("chatcmpl-[A-Za-z0-9]{24}");
    }

    @Test
    void rejectsAResponseWithoutChoices() {
        assertThatThrownBy(() -> ChatResponse.parse("{\"id\":\"x\",\"object\":\"chat.completion\"}"))
                .isInstanceOf(ShimException.class)
                .hasMessage("chat completion: missing \"choices\"");
    }

    @Test
    void rejectsAChoiceWithoutMessage() {
        assertThatThrownBy(() -> ChatResponse.parse("{\"choices\":[{\"index\":0,\"text\":\"hi\",\"finish_reason\":\"stop\"}]}"))
                .isInstanceOf(ShimException.class)
                .hasMessage("choices[0]: missing \"message\"");
    }

    @Test
    void rejectsAToolCallWithoutFunction() {
        assertThatThrownBy(() -> ChatResponse.parse(withCall("{\"id\":\"a\",\"type\":\"function\"}")))
                .isInstanceOf(ShimException.class)
                .hasMessage("choices[0].message.tool_calls[0]: missing \"function\"");
    }

    @Test
    void rejectsAFunctionWithoutNameNamingTheCallsPath() {
        String ok = "{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}";
        String nameless = "{\"id\":\"b\",\"function\":{\"arguments\":\"{}\"}}";
        String json = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"x\"}},"
                + "{\"index\":1,\"message\":{\"tool_calls\":[" + ok + "," + nameless + "]}}]}";

        assertThatThrownBy(() -> ChatResponse.parse(json))
                .isInstanceOf(ShimException.class)
                .hasMessage("choices[1].message.tool_calls[1].function: missing \"name\"");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"choices\":{}}                                              | choices: expected an array, found an object",
        "{\"choices\":[1]}                                             | choices[0]: expected an object, found an integer",
        "{\"id\":5,\"choices\":[]}                                     | id: expected a string, found an integer",
        "{\"created\":\"now\",\"choices\":[]}                          | created: expected an integer, found a string",
        "{\"created\":1.5,\"choices\":[]}                              | created: expected an integer, found a number",
        "{\"model\":[],\"choices\":[]}                                 | model: expected a string, found an array",
        "{\"system_fingerprint\":true,\"choices\":[]}                  | system_fingerprint: expected a string, found a boolean",
        "{\"choices\":[{\"index\":\"0\",\"message\":{}}]}              | choices[0].index: expected an integer, found a string",
        "{\"choices\":[{\"message\":null}]}                            | choices[0].message: expected an object, found null",
        "{\"choices\":[{\"message\":\"hi\"}]}                          | choices[0].message: expected an object, found a string",
        "{\"choices\":[{\"message\":{},\"finish_reason\":1}]}          | choices[0].finish_reason: expected a string, found an integer",
        "{\"choices\":[{\"message\":{\"role\":true}}]}                 | choices[0].message.role: expected a string, found a boolean",
        "{\"choices\":[{\"message\":{\"content\":42}}]}                | choices[0].message.content: expected a string, found an integer",
        "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\"}]}}]} | choices[0].message.content: expected a string, found an array",
        "{\"choices\":[{\"message\":{\"reasoning_content\":{}}}]}      | choices[0].message.reasoning_content: expected a string, found an object",
        "{\"choices\":[{\"message\":{\"tool_calls\":{}}}]}             | choices[0].message.tool_calls: expected an array, found an object",
        "{\"choices\":[{\"message\":{\"tool_calls\":[\"f\"]}}]}        | choices[0].message.tool_calls[0]: expected an object, found a string",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"index\":1.5,\"function\":{\"name\":\"f\"}}]}}]} | choices[0].message.tool_calls[0].index: expected an integer, found a number",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":7,\"function\":{\"name\":\"f\"}}]}}]}      | choices[0].message.tool_calls[0].id: expected a string, found an integer",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"type\":{},\"function\":{\"name\":\"f\"}}]}}]}   | choices[0].message.tool_calls[0].type: expected a string, found an object",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":\"f\"}]}}]}                        | choices[0].message.tool_calls[0].function: expected an object, found a string",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{\"name\":[\"f\"]}}]}}]}           | choices[0].message.tool_calls[0].function.name: expected a string, found an array",
    })
    void rejectsWrongTypesNamingThePath(String json, String message) {
        assertThatThrownBy(() -> ChatResponse.parse(json))
                .isInstanceOf(ShimException.class)
                .hasMessage(message);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"created\":99999999999999999999,\"choices\":[]}             | created: expected an integer that fits in 64 bits, found 99999999999999999999",
        "{\"choices\":[{\"index\":3000000000,\"message\":{}}]}          | choices[0].index: expected an integer that fits in 32 bits, found 3000000000",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"index\":-3000000000,\"function\":{\"name\":\"f\"}}]}}]} | choices[0].message.tool_calls[0].index: expected an integer that fits in 32 bits, found -3000000000",
    })
    void rejectsIntegersOutOfRangeNamingThePath(String json, String message) {
        assertThatThrownBy(() -> ChatResponse.parse(json))
                .isInstanceOf(ShimException.class)
                .hasMessage(message);
    }

    // --- what it fills in ---

    @Test
    void missingToolCallIdBecomesCallPrefixAnd24Alphanumerics() {
        ToolCall withoutId = onlyCall("{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}");
        ToolCall withEmptyId = onlyCall("{\"id\":\"\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}");
        ToolCall withNullId = onlyCall("{\"id\":null,\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}");

        assertThat(List.of(withoutId.id(), withEmptyId.id(), withNullId.id()))
                .allSatisfy(id -> assertThat(id).matches("call_[A-Za-z0-9]{24}"))
                .doesNotHaveDuplicates();
    }

    @Test
    void givenToolCallIdIsKeptAsItIs() {
        assertThat(onlyCall("{\"id\":\"GXjSadYcndOZ8R1waztCzffnUAsuhNux\",\"function\":{\"name\":\"f\"}}").id())
                .isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
    }

    @Test
    void missingToolCallIndexBecomesItsPosition() {
        String json = withMessage("{\"tool_calls\":["
                + "{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"1\"}},"
                + "{\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"2\"}},"
                + "{\"id\":\"c\",\"function\":{\"name\":\"h\",\"arguments\":\"3\"}}]}");

        assertThat(ChatResponse.parse(json).choices().get(0).message().toolCalls())
                .extracting(ToolCall::index).containsExactly(0, 1, 2);
    }

    @Test
    void argumentsGivenAsAnObjectBecomeCompactJsonText() {
        ToolCall call = onlyCall("{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":"
                + "{ \"location\" : \"Zürich 🇨🇭\",\n \"days\": [1, 2.5, true, null], \"opts\": {} }}}");

        assertThat(call.arguments()).isEqualTo("{\"location\":\"Zürich 🇨🇭\",\"days\":[1,2.5,true,null],\"opts\":{}}");
    }

    @Test
    void argumentsStringIsKeptByteForByte() {
        // The new build keeps the model's own spacing; nothing may normalise it.
        ToolCall call = onlyCall("{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":"
                + "\"{\\\"location\\\":\\\"London\\\", \\\"unit\\\": \\\"fahrenheit\\\"}\"}}");

        assertThat(call.arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
    }

    @Test
    void missingOrNullArgumentsBecomeEmpty() {
        assertThat(onlyCall("{\"id\":\"a\",\"function\":{\"name\":\"f\"}}").arguments()).isEmpty();
        assertThat(onlyCall("{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":null}}").arguments()).isEmpty();
    }

    @Test
    void missingTypeAndRoleDefaultToFunctionAndAssistant() {
        ChatResponse response = ChatResponse.parse(withCall("{\"id\":\"a\",\"function\":{\"name\":\"f\"}}")
                .replace("\"role\":\"assistant\",", ""));

        assertThat(response.choices().get(0).message().role()).isEqualTo("assistant");
        assertThat(response.choices().get(0).message().toolCalls().get(0).type()).isEqualTo("function");
    }

    @Test
    void nullFinishReasonStreamsAsToolCallsWithCallsElseStop() {
        String call = "{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}";
        Choice withCalls = ChatResponse.parse(withCall(call).replace("\"finish_reason\":\"stop\"", "\"finish_reason\":null"))
                .choices().get(0);
        Choice withText = ChatResponse.parse(withMessage("{\"content\":\"hi\"}").replace(",\"finish_reason\":\"stop\"", ""))
                .choices().get(0);

        assertThat(withCalls.finishReason()).isNull();
        assertThat(withCalls.effectiveFinishReason()).isEqualTo("tool_calls");
        assertThat(withText.finishReason()).isNull();
        assertThat(withText.effectiveFinishReason()).isEqualTo("stop");
    }

    @Test
    void givenFinishReasonIsKeptEvenWithToolCalls() {
        Choice choice = ChatResponse.parse(withCall("{\"id\":\"a\",\"function\":{\"name\":\"f\"}}")
                .replace("\"finish_reason\":\"stop\"", "\"finish_reason\":\"length\"")).choices().get(0);

        assertThat(choice.effectiveFinishReason()).isEqualTo("length");
    }

    @Test
    void missingEnvelopeFieldsAreFilledIn() {
        long before = Instant.now().getEpochSecond();
        ChatResponse response = ChatResponse.parse("{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}");

        assertThat(response.id()).matches("chatcmpl-[A-Za-z0-9]{24}");
        assertThat(response.created()).isBetween(before, Instant.now().getEpochSecond());
        assertThat(response.model()).isEmpty();
        assertThat(response.systemFingerprint()).isNull();
        assertThat(response.usage()).isNull();
        assertThat(response.choices().get(0).index()).isZero();
    }

    @Test
    void emptyAndNullContentStayDistinct() {
        assertThat(ChatResponse.parse(withMessage("{\"content\":\"\"}")).choices().get(0).message().content()).isEmpty();
        assertThat(ChatResponse.parse(withMessage("{\"content\":null}")).choices().get(0).message().content()).isNull();
        assertThat(ChatResponse.parse(withMessage("{}")).choices().get(0).message().content()).isNull();
    }

    @Test
    void choicesAreOrderedByIndex() {
        String json = "{\"choices\":["
                + "{\"index\":2,\"message\":{\"content\":\"two\"}},"
                + "{\"index\":0,\"message\":{\"content\":\"zero\"}},"
                + "{\"index\":1,\"message\":{\"content\":\"one\"}}]}";

        assertThat(ChatResponse.parse(json).choices())
                .extracting(Choice::index, c -> c.message().content())
                .containsExactly(tuple(0, "zero"), tuple(1, "one"), tuple(2, "two"));
    }

    @Test
    void missingChoiceIndexIsThePosition() {
        String json = "{\"choices\":[{\"message\":{\"content\":\"zero\"}},{\"message\":{\"content\":\"one\"}}]}";

        assertThat(ChatResponse.parse(json).choices())
                .extracting(Choice::index, c -> c.message().content())
                .containsExactly(tuple(0, "zero"), tuple(1, "one"));
    }

    @Test
    void unknownFieldsAreKeptInResponseOrderAtEveryLevel() {
        String json = "{\"choices\":[{\"index\":0,\"x_choice\":{\"a\":1},\"message\":{\"role\":\"assistant\","
                + "\"refusal\":null,\"annotations\":[],\"content\":\"hi\",\"tool_calls\":[{\"id\":\"a\",\"x_call\":true,"
                + "\"function\":{\"name\":\"f\",\"x_fn\":\"v\",\"arguments\":\"{}\"}}]},\"logprobs\":{\"content\":[]},"
                + "\"finish_reason\":\"stop\"}],\"timings\":{\"prompt_n\":1,\"predicted_ms\":312.661},"
                + "\"object\":\"chat.completion\",\"usage\":{\"total_tokens\":3},\"zzz\":\"last\",\"aaa\":[1,{\"b\":null}]}";

        ChatResponse response = ChatResponse.parse(json);

        assertThat(response.extras().keySet()).containsExactly("timings", "zzz", "aaa");
        assertThat(response.extras().get("timings")).isEqualTo(new RawJson("{\"prompt_n\":1,\"predicted_ms\":312.661}"));
        assertThat(response.extras().get("aaa")).isEqualTo(new RawJson("[1,{\"b\":null}]"));
        assertThat(response.usage()).isEqualTo(new RawJson("{\"total_tokens\":3}"));
        Choice choice = response.choices().get(0);
        assertThat(choice.extras()).containsExactly(java.util.Map.entry("x_choice", new RawJson("{\"a\":1}")));
        assertThat(choice.logprobs()).isEqualTo(new RawJson("{\"content\":[]}"));
        assertThat(choice.message().extras().keySet()).containsExactly("refusal", "annotations");
        assertThat(choice.message().extras().get("refusal")).isEqualTo(new RawJson("null"));
        ToolCall call = choice.message().toolCalls().get(0);
        assertThat(call.extras()).containsExactly(java.util.Map.entry("x_call", new RawJson("true")));
        assertThat(call.functionExtras()).containsExactly(java.util.Map.entry("x_fn", new RawJson("\"v\"")));
    }

    @Test
    void parsesFromAnInputStreamAndFromASliceOfBytes() throws IOException {
        String json = withMessage("{\"content\":\"hi\"}");
        byte[] padded = ("pad" + json + "end").getBytes(StandardCharsets.UTF_8);

        ChatResponse fromStream = ChatResponse.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        ChatResponse fromSlice = ChatResponse.parse(padded, 3, padded.length - 6);

        assertThat(fromStream).isEqualTo(ChatResponse.parse(json));
        assertThat(fromSlice).isEqualTo(ChatResponse.parse(json));
    }

    @Test
    void detectsUtf16AndUtf8WithByteOrderMark() {
        String json = withMessage("{\"content\":\"héllo 👋\"}");
        ChatResponse utf8 = ChatResponse.parse(json);

        assertThat(ChatResponse.parse(json.getBytes(StandardCharsets.UTF_16BE))).isEqualTo(utf8);
        assertThat(ChatResponse.parse(json.getBytes(StandardCharsets.UTF_16LE))).isEqualTo(utf8);
        byte[] bom = ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8);
        assertThat(ChatResponse.parse(bom)).isEqualTo(utf8);
    }
}
