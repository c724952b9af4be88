package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.core.testing.StreamContract;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker other modules rely on: it must accept a good stream and name each broken rule. */
class StreamContractTest {

    private static final String ROLE = "{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}";
    private static final String CONTENT = "{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}";
    private static final String CALL_0 = "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
            + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}";
    private static final String ARGS_0 = "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
            + "\"function\":{\"arguments\":\"{}\"}}]},\"finish_reason\":null}";
    private static final String FINISH = "{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}";
    private static final String USAGE = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[],\"usage\":{\"total_tokens\":3}}";

    private static String chunk(String... choices) {
        return "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":["
                + String.join(",", choices) + "]}";
    }

    /** {@code data: …\n\n} per event, {@code data: [DONE]\n\n} last. */
    private static byte[] stream(String... chunks) {
        StringBuilder out = new StringBuilder();
        for (String chunk : chunks) {
            out.append(chunk.startsWith(":") ? chunk : "data: " + chunk).append("\n\n");
        }
        return out.append("data: [DONE]\n\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> good(String... extra) {
        List<String> chunks = new ArrayList<>(List.of(chunk(ROLE), chunk(CONTENT), chunk(CALL_0), chunk(ARGS_0), chunk(FINISH)));
        chunks.addAll(Arrays.asList(extra));
        return chunks;
    }

    private static List<String> violations(boolean includeUsage, String... chunks) {
        return StreamContract.violations(stream(chunks), includeUsage);
    }

    @Test
    void conformingStreamHasNoViolations() {
        assertThat(violations(false, good().toArray(String[]::new))).isEmpty();
        assertThat(violations(true, good(USAGE).toArray(String[]::new))).isEmpty();
    }

    @Test
    void heartbeatCommentsAndExtraFieldsAreAllowed() {
        String finishWithExtras = "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"logprobs\":{\"content\":[]}}";
        byte[] stream = stream(
                ":",
                chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"refusal\":null},\"finish_reason\":null}"),
                ": keep-alive",
                chunk(finishWithExtras).replace("]}", "],\"timings\":{\"n\":1}}"));

        assertThat(StreamContract.violations(stream, false)).isEmpty();
    }

    @Test
    void emptyContentIsAllowedOnceWhenTheContentIsEmpty() {
        String empty = "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}";

        assertThat(violations(false, chunk(empty), chunk(FINISH))).isEmpty();
        assertThat(violations(false, chunk(empty), chunk(CONTENT), chunk(FINISH)))
                .containsExactly("event 1: sends an empty content piece, but its content is not empty");
        assertThat(violations(false, chunk(empty), chunk(empty.replace("\"role\":\"assistant\",", "")), chunk(FINISH)))
                .containsExactly("event 2: sends a second empty content piece");
    }

    @Test
    void framingMustBeDataLinesEndedByABlankLine() {
        byte[] good = stream(good().toArray(String[]::new));
        String text = new String(good, StandardCharsets.UTF_8);

        assertThat(StreamContract.violations(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8), false))
                .contains("event 1: contains a carriage return (events are lines ended by \\n, and a blank line)");
        assertThat(StreamContract.violations(text.replace("data: [DONE]\n\n", "data: [DONE]\n").getBytes(StandardCharsets.UTF_8), false))
                .containsExactly("event 6: is not ended by a blank line (\\n\\n)");
        assertThat(StreamContract.violations(text.replaceFirst("data: ", "data:").getBytes(StandardCharsets.UTF_8), false))
                .first().asString().startsWith("event 1: is neither \"data: …\" nor a comment: data:{\"id\":\"c1\",");
        assertThat(StreamContract.violations(text.replaceFirst("\n\n", "\n\n\n\n").getBytes(StandardCharsets.UTF_8), false))
                .containsExactly("event 2: is empty (an extra blank line)");
        assertThat(StreamContract.violations(("data: {\ndata: }\n\n" + text).getBytes(StandardCharsets.UTF_8), false))
                .startsWith("event 1: has more than one line; data must be one line of JSON: data: {\\ndata: }");
        assertThat(StreamContract.violations(("\uFEFF" + text).getBytes(StandardCharsets.UTF_8), false))
                .containsExactly("the stream starts with a byte order mark");
        assertThat(StreamContract.violations(new byte[0], false))
                .containsExactly("the stream is empty; it must end with data: [DONE]");
    }

    @Test
    void streamMustBeUtf8() {
        byte[] good = stream(good().toArray(String[]::new));
        byte[] bad = Arrays.copyOf(good, good.length);
        bad[10] = (byte) 0xC3; // a lead byte followed by an ASCII byte

        assertThat(StreamContract.violations(bad, false)).first().isEqualTo("the stream is not valid UTF-8 (first bad byte at offset 10)");
    }

    @Test
    void streamMustEndWithDoneAndNothingAfterIt() {
        String text = new String(stream(good().toArray(String[]::new)), StandardCharsets.UTF_8);

        assertThat(StreamContract.violations(text.replace("data: [DONE]\n\n", "").getBytes(StandardCharsets.UTF_8), false))
                .containsExactly("the stream does not end with data: [DONE]");
        assertThat(StreamContract.violations((text + ": late\n\n").getBytes(StandardCharsets.UTF_8), false))
                .containsExactly("event 7: follows data: [DONE]");
    }

    @Test
    void eachEventMustBeAChunkObject() {
        assertThat(violations(false, chunk(ROLE), "{\"choices\":", chunk(FINISH)))
                .singleElement().asString().startsWith("event 2: is not valid JSON: Unexpected end-of-input");
        assertThat(violations(false, chunk(ROLE), "[1]", chunk(FINISH)))
                .containsExactly("event 2: is not a JSON object: [1]");
        assertThat(violations(false, chunk(ROLE), chunk(FINISH).replace("\"model\":\"m\",", "\"model\":\"m\",\"model\":\"m\",")))
                .hasSize(2)
                .first().asString().startsWith("event 2: is not valid JSON: Duplicate field 'model'");
        assertThat(violations(false, chunk(ROLE), "{\"error\":{\"message\":\"boom\"}}"))
                .containsExactly("event 2: is an error event: boom", "choice 0 has no finish chunk (an empty delta with a finish_reason)");
        assertThat(violations(false, chunk(ROLE), chunk(FINISH).replace("chat.completion.chunk", "chat.completion")))
                .containsExactly("event 2: \"object\" is \"chat.completion\", expected \"chat.completion.chunk\"");
        assertThat(violations(false, chunk(ROLE), chunk().replace("[]", "{}")))
                .containsExactly("event 2: has no \"choices\" array", "choice 0 has no finish chunk (an empty delta with a finish_reason)");
    }

    @Test
    void envelopeMustBeTheSameInEveryChunk() {
        assertThat(violations(false, chunk(ROLE), chunk(CONTENT).replace("\"c1\"", "\"c2\""), chunk(FINISH).replace("\"c1\"", "\"c2\"")))
                .containsExactly("event 2: \"id\" is \"c2\", but event 1 had \"c1\"");
        assertThat(violations(false, chunk(ROLE), chunk(FINISH).replace("\"created\":1", "\"created\":2")))
                .containsExactly("event 2: \"created\" is 2, but event 1 had 1");
        assertThat(violations(false, chunk(ROLE), chunk(FINISH).replace("\"model\":\"m\"", "\"model\":\"m\",\"system_fingerprint\":\"fp\"")))
                .containsExactly("event 2: has \"system_fingerprint\" \"fp\", but event 1 had none");
        assertThat(violations(false, chunk(ROLE).replace("\"model\":\"m\"", "\"model\":\"m\",\"system_fingerprint\":\"fp\""), chunk(FINISH)))
                .containsExactly("event 2: has no \"system_fingerprint\", but event 1 had \"fp\"");
        assertThat(violations(false, chunk(ROLE).replace("\"id\":\"c1\",", ""), chunk(FINISH).replace("\"created\":1", "\"created\":1.5")))
                .containsExactly("event 1: has no \"id\"", "event 2: \"created\" is not an integer: 1.5");
    }

    @Test
    void choiceEntriesNeedIndexDeltaAndFinishReason() {
        assertThat(violations(false, chunk(ROLE), chunk("{\"delta\":{},\"finish_reason\":\"stop\"}"), chunk(FINISH)))
                .containsExactly("event 2: choices[0] has no non-negative integer \"index\"");
        assertThat(violations(false, chunk(ROLE.replace(",\"finish_reason\":null", "")), chunk(FINISH)))
                .containsExactly("event 1: has no \"finish_reason\" (it is null until the choice's last chunk)");
        assertThat(violations(false, chunk(ROLE), chunk("{\"index\":0,\"finish_reason\":\"stop\"}")))
                .containsExactly("event 2: has no \"delta\" object", "choice 0 has no finish chunk (an empty delta with a finish_reason)");
        assertThat(violations(false, chunk(ROLE, CONTENT), chunk(FINISH)))
                .containsExactly("event 1: choice 0 appears twice in one chunk");
    }

    @Test
    void firstDeltaCarriesTheAssistantRoleAndOnlyTheFirst() {
        assertThat(violations(false, chunk(CONTENT), chunk(FINISH)))
                .containsExactly("event 1: first delta has no \"role\"");
        assertThat(violations(false, chunk(ROLE.replace("assistant", "user")), chunk(FINISH)))
                .containsExactly("event 1: first delta has role \"user\", expected \"assistant\"");
        assertThat(violations(false, chunk(ROLE), chunk(ROLE), chunk(FINISH)))
                .containsExactly("event 2: repeats \"role\" after the first delta");
    }

    @Test
    void reasoningComesBeforeContentAndContentBeforeToolCalls() {
        String reasoning = "{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\"},\"finish_reason\":null}";

        assertThat(violations(false, chunk(ROLE), chunk(reasoning), chunk(CONTENT), chunk(FINISH))).isEmpty();
        assertThat(violations(false, chunk(ROLE), chunk(CONTENT), chunk(reasoning), chunk(FINISH)))
                .containsExactly("event 3: sends reasoning_content after content");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(CONTENT), chunk(FINISH)))
                .containsExactly("event 3: sends content after tool calls");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(reasoning), chunk(FINISH)))
                .containsExactly("event 3: sends reasoning_content after tool calls");
        // The synthesizer sends content:"" with the role, before any reasoning: no text is out of order.
        assertThat(violations(false, chunk(ROLE.replace("\"assistant\"", "\"assistant\",\"content\":\"\"")),
                chunk(reasoning), chunk(FINISH)))
                .isEmpty();
    }

    @Test
    void toolCallsFirstDeltaNamesTheCall() {
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0.replace("\"id\":\"call_a\",", "")), chunk(FINISH)))
                .containsExactly("event 2: tool call 0's first delta has no non-empty \"id\"");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0.replace("\"type\":\"function\",", "")), chunk(FINISH)))
                .containsExactly("event 2: tool call 0's first delta has no \"type\", expected \"function\"");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0.replace("\"name\":\"f\",", "")), chunk(FINISH)))
                .containsExactly("event 2: tool call 0's first delta has no non-empty \"function.name\"");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0.replace(",\"arguments\":\"\"", "")), chunk(FINISH)))
                .containsExactly("event 2: tool call 0's first delta has no string \"function.arguments\"");
        // llama-server's own first delta already carries the first piece of the arguments.
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0.replace("\"arguments\":\"\"", "\"arguments\":\"{\"")), chunk(FINISH)))
                .isEmpty();
    }

    @Test
    void toolCallsLaterDeltasCarryOnlyArguments() {
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(ARGS_0.replace("{\"arguments\"", "{\"name\":\"f\",\"arguments\"")), chunk(FINISH)))
                .containsExactly("event 3: tool call 0 repeats its name");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(ARGS_0.replace("{\"index\":0,\"function\"", "{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\"")), chunk(FINISH)))
                .containsExactly("event 3: tool call 0 repeats its id", "event 3: tool call 0 repeats its type");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(ARGS_0.replace("\"{}\"", "\"\"")), chunk(FINISH)))
                .containsExactly("event 3: tool call 0 sends an empty arguments piece");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(ARGS_0.replace("{\"arguments\":\"{}\"}", "{\"arguments\":{}}")), chunk(FINISH)))
                .containsExactly("event 3: tool call 0's later delta has no string \"function.arguments\"");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(ARGS_0.replace("{\"index\":0,\"function\"", "{\"index\":0,\"x\":1,\"function\"")), chunk(FINISH)))
                .containsExactly("event 3: tool call 0's later delta has the unexpected field \"x\"");
    }

    @Test
    void toolCallsOpenInOrderOneAtATimeWithFreshIds() {
        String call1 = CALL_0.replace("{\"index\":0,\"id\"", "{\"index\":1,\"id\"").replace("call_a", "call_b");
        String call1SameId = CALL_0.replace("{\"index\":0,\"id\"", "{\"index\":1,\"id\"");
        String call2 = call1.replace("{\"index\":1,\"id\"", "{\"index\":2,\"id\"");

        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(ARGS_0), chunk(call1), chunk(FINISH))).isEmpty();
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(call1), chunk(ARGS_0), chunk(FINISH)))
                .containsExactly("event 4: tool call 0 continues after tool call 1 began");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(call1SameId), chunk(FINISH)))
                .containsExactly("event 3: tool call 1 repeats id \"call_a\" of an earlier call");
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(call2), chunk(FINISH)))
                .containsExactly("event 3: tool call 2 opens out of order; expected tool call 1");
        assertThat(violations(false, chunk(ROLE), chunk("{\"index\":0,\"delta\":{\"tool_calls\":[]},\"finish_reason\":null}"), chunk(FINISH)))
                .containsExactly("event 2: sends an empty \"tool_calls\" array");
    }

    @Test
    void piecesMustNotSplitASurrogatePair() {
        String high = "{\"index\":0,\"delta\":{\"content\":\"a\\ud83d\"},\"finish_reason\":null}";
        String low = "{\"index\":0,\"delta\":{\"content\":\"\\ude00b\"},\"finish_reason\":null}";
        String whole = "{\"index\":0,\"delta\":{\"content\":\"\\ud83d\\ude00\"},\"finish_reason\":null}";
        String argsHigh = ARGS_0.replace("\"{}\"", "\"{\\ud83d\"");
        String argsLow = ARGS_0.replace("\"{}\"", "\"\\ude00}\"");

        assertThat(violations(false, chunk(ROLE), chunk(high), chunk(low), chunk(FINISH)))
                .containsExactly("event 3: content piece splits a surrogate pair with the piece in event 2");
        assertThat(violations(false, chunk(ROLE), chunk(whole), chunk(whole), chunk(FINISH))).isEmpty();
        assertThat(violations(false, chunk(ROLE), chunk(CALL_0), chunk(argsHigh), chunk(argsLow), chunk(FINISH)))
                .containsExactly("event 4: tool call 0 arguments piece splits a surrogate pair with the piece in event 3");
        // A lone surrogate the text really has is not a split.
        assertThat(violations(false, chunk(ROLE), chunk(high), chunk(CONTENT), chunk(FINISH))).isEmpty();
    }

    @Test
    void eachChoiceEndsWithOneFinishChunkWithAnEmptyDelta() {
        assertThat(violations(false, chunk(ROLE), chunk(CONTENT)))
                .containsExactly("choice 0 has no finish chunk (an empty delta with a finish_reason)");
        assertThat(violations(false, chunk(ROLE), chunk(CONTENT.replace("null}", "\"stop\"}"))))
                .containsExactly("event 2: finish chunk has a non-empty delta: {\"content\":\"Hi\"}");
        assertThat(violations(false, chunk(ROLE), chunk(FINISH), chunk(CONTENT)))
                .containsExactly("event 3: continues after its finish chunk (event 2)");
        assertThat(violations(false, chunk(ROLE), chunk(FINISH.replace("\"tool_calls\"", "7"))))
                .containsExactly("event 2: \"finish_reason\" is not a string or null: 7",
                        "choice 0 has no finish chunk (an empty delta with a finish_reason)");
    }

    @Test
    void usageChunkComesLastAndOnlyWhenRequested() {
        assertThat(violations(false, good(USAGE).toArray(String[]::new)))
                .containsExactly("event 6: is a usage chunk (\"choices\":[]), but include_usage was not requested");
        assertThat(violations(true, good().toArray(String[]::new)))
                .containsExactly("no usage chunk (\"choices\":[] with \"usage\"), though include_usage was requested");
        assertThat(violations(true, chunk(ROLE), USAGE, chunk(FINISH)))
                .containsExactly("event 2: the usage chunk is not the last chunk before data: [DONE]");
        assertThat(violations(true, good(USAGE, USAGE).toArray(String[]::new)))
                .containsExactly("event 7: is a second usage chunk (\"choices\":[])");
        assertThat(violations(true, good(USAGE.replace(",\"usage\":{\"total_tokens\":3}", "")).toArray(String[]::new)))
                .containsExactly("event 6: has \"choices\":[] but no \"usage\"");
        assertThat(violations(true, good(USAGE.replace("{\"total_tokens\":3}", "null")).toArray(String[]::new)))
                .as("\"usage\":null in the usage chunk is tolerated")
                .isEmpty();
        assertThat(violations(false, chunk(ROLE), chunk(FINISH).replace("]}", "],\"usage\":{\"total_tokens\":3}}")))
                .containsExactly("event 2: carries \"usage\" outside the usage chunk");
        assertThat(violations(true, chunk(ROLE).replace("]}", "],\"usage\":null}"), chunk(FINISH), USAGE))
                .as("OpenAI itself sends \"usage\":null in every chunk")
                .isEmpty();
    }

    @Test
    void withSeveralChoicesMessagesNameTheChoice() {
        String role1 = ROLE.replace("{\"index\":0", "{\"index\":1");
        String finish1 = FINISH.replace("{\"index\":0", "{\"index\":1");
        String call1 = CALL_0.replace("{\"index\":0,\"delta\"", "{\"index\":1,\"delta\"").replace("call_a", "call_b");
        String args1 = ARGS_0.replace("{\"index\":0,\"delta\"", "{\"index\":1,\"delta\"");

        assertThat(violations(false, chunk(ROLE, role1), chunk(CALL_0), chunk(call1), chunk(args1), chunk(FINISH, finish1)))
                .isEmpty();
        assertThat(violations(false, chunk(ROLE, role1), chunk(call1), chunk(args1.replace("{\"arguments\"", "{\"name\":\"f\",\"arguments\"")), chunk(FINISH)))
                .containsExactly("event 3: choice 1, tool call 0 repeats its name", "choice 1 has no finish chunk (an empty delta with a finish_reason)");
    }

    @Test
    void assertConformsListsTheViolations() {
        byte[] stream = stream(chunk(CONTENT), chunk(FINISH));

        assertThatThrownBy(() -> StreamContract.assertConforms(stream, false))
                .isInstanceOf(AssertionError.class)
                .hasMessage("the stream breaks the stream contract (docs/STREAM-CONTRACT.md):\n  event 1: first delta has no \"role\"");
    }

    @Test
    void eventListIsCheckedAsTheBytesItRenders() {
        List<SseChunk> events = List.of(SseChunk.comment(""), SseChunk.data(chunk(ROLE)), SseChunk.data(chunk(FINISH)), SseChunk.DONE);

        assertThat(StreamContract.violations(events, false)).isEmpty();
        assertThat(StreamContract.violations(List.of(SseChunk.data(chunk(ROLE) + "\n")), false))
                .first().asString()
                .startsWith("event 1: has more than one line; data must be one line of JSON: data: {\"id\":\"c1\",");
    }
}
