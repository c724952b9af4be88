package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which answers to a stream request mode {@code auto} takes for a refusal to stream: the captured
 * llama-server answers, and the words other servers are known to use.
 */
class RefusalRuleTest {

    private static ForwarderAnswer answer(int status, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new ForwarderAnswer(status, List.of(), contentType, null, bytes, bytes.length, false);
    }

    private static ForwarderAnswer captured(String build, String scenario) {
        Fixture fixture = Fixture.load(build, scenario);
        return new ForwarderAnswer(fixture.status(), List.<Map.Entry<String, String>>of(), fixture.contentType(), null,
                fixture.body(), fixture.body().length, false);
    }

    @Test
    void llamaServerB5478sRefusalIsOne() {
        RetryDecision decision = RefusalRule.judge(captured("old", "tool-call-stream-refused"), false);

        assertThat(decision).isEqualTo(new RetryDecision(RetryDecision.Reason.REFUSED_TO_STREAM, 500, "Cannot use tools with stream"));
        assertThat(decision.retry()).isTrue();
    }

    @Test
    void llamaServersOtherErrorsAreNone() {
        for (String[] capture : new String[][] {{"old", "error-missing-messages-stream"}, {"old", "error-malformed-json"},
                {"new", "error-missing-messages-stream"}, {"new", "error-prompt-too-long-stream"}}) {
            RetryDecision decision = RefusalRule.judge(captured(capture[0], capture[1]), false);

            assertThat(decision.reason()).as(String.join("/", capture)).isEqualTo(RetryDecision.Reason.NO_REFUSAL_MESSAGE);
        }
        assertThat(RefusalRule.judge(captured("new", "error-unknown-path-post"), false).reason())
                .isEqualTo(RetryDecision.Reason.STATUS_NEVER_A_REFUSAL);
    }

    @ParameterizedTest(name = "{0} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            400 | application/json | {"error":{"message":"Unsupported value: 'stream' does not support true with this model.","code":"unsupported_value"}}
            400 | application/json | {"error":{"message":"Tool and function calls do not currently support streaming"}}
            400 | application/json | {"detail":"Tools are not supported in streaming mode."}
            400 | application/json | {"error":"streaming is not supported with tools"}
            422 | application/json | {"message":"'stream' is not allowed when using function calling"}
            400 | application/json | {"error":{"message":"Unrecognized request argument supplied: stream_options"}}
            501 | text/plain       | This deployment cannot stream responses
            """)
    void otherServersWordsForARefusalAreOnes(int status, String contentType, String body) {
        assertThat(RefusalRule.judge(answer(status, contentType, body), false).reason())
                .isEqualTo(RetryDecision.Reason.REFUSED_TO_STREAM);
    }

    @ParameterizedTest(name = "{0} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            500 | application/json | {"error":{"message":"upstream not available"}}
            500 | application/json | {"error":{"message":"Unsupported param: tool_choice"}}
            500 | application/json | {"error":{"message":"tools param requires --jinja flag"}}
            400 | text/html        | <html><body>Cannot use tools with stream</body></html>
            500 | application/json | ["Cannot use tools with stream"]
            """)
    void errorsThatDoNotSayStreamingIsUnsupportedAreNone(int status, String contentType, String body) {
        assertThat(RefusalRule.judge(answer(status, contentType, body), false).reason())
                .isEqualTo(RetryDecision.Reason.NO_REFUSAL_MESSAGE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"401", "403", "404", "408", "413", "429", "502", "503", "504"})
    void aStatusOutsideTheRefusalStatusesIsNoneWhateverItsMessage(int status) {
        RetryDecision decision = RefusalRule.judge(answer(status, "application/json",
                "{\"error\":{\"message\":\"Cannot use tools with stream\"}}"), false);

        assertThat(decision.reason()).isEqualTo(RetryDecision.Reason.STATUS_NEVER_A_REFUSAL);
        assertThat(decision.retry()).isFalse();
    }

    @Test
    void aRefusalThatThisServerGaveToStreamFalseTooIsKnownToBeNone() {
        assertThat(RefusalRule.judge(captured("old", "tool-call-stream-refused"), true).reason())
                .isEqualTo(RetryDecision.Reason.KNOWN_NOT_A_REFUSAL);
    }

    @Test
    void aRetryFailedTheSameWayOnlyWithTheSameStatusAndMessage() {
        RetryDecision refusal = RefusalRule.judge(captured("old", "tool-call-stream-refused"), false);

        assertThat(RefusalRule.failedTheSameWay(refusal, captured("old", "tool-call-stream-refused"))).isTrue();
        assertThat(RefusalRule.failedTheSameWay(refusal, captured("old", "error-missing-messages"))).isFalse();
        assertThat(RefusalRule.failedTheSameWay(refusal, answer(400, "application/json",
                "{\"error\":{\"message\":\"Cannot use tools with stream\"}}"))).isFalse();
    }
}
