package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The launcher's reason to exist, end to end: the official OpenAI Java SDK streams a chat request
 * with a tool through the launcher to a llama-server that can only answer it as one JSON body
 * (it refuses {@code stream:true} with tools, like build b5478), and accumulates exactly the
 * tool call the server answered.
 */
class ShimmedToolCallWithOpenAiJavaTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    @ParameterizedTest(name = "{0} build, include_usage={1}")
    @CsvSource({"new, false", "new, true", "old, false", "old, true"})
    void aStreamedToolCallAccumulatesToTheUpstreamsToolCall(String build, boolean includeUsage) throws Exception {
        Fixture answer = Fixture.load(build, "tool-call-nonstream");
        Fixture refusal = Fixture.load("old", "tool-call-stream-refused");
        upstream = FakeLlamaServer.start(request -> Reply.of(request.wantsStream() ? refusal : answer));
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).build());

        ChatCompletion completion = OpenAiJava.streamToolCall(launcher.uri(), includeUsage);

        JsonNode expected = JSON.readTree(answer.body()).path("choices").path(0);
        JsonNode expectedCall = expected.path("message").path("tool_calls").path(0);
        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.finishReason().asString()).isEqualTo(expected.path("finish_reason").asText());
        List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
                .map(call -> call.asFunction()).toList();
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).id()).isEqualTo(expectedCall.path("id").asText());
        assertThat(calls.get(0).function().name()).isEqualTo(expectedCall.path("function").path("name").asText());
        assertThat(calls.get(0).function().arguments()).isEqualTo(expectedCall.path("function").path("arguments").asText());
        if (includeUsage) {
            assertThat(completion.usage().orElseThrow().totalTokens())
                    .isEqualTo(JSON.readTree(answer.body()).path("usage").path("total_tokens").asLong());
        }

        RecordedRequest sent = upstream.onlyRequest();
        JsonNode sentBody = sent.json();
        assertThat(sentBody.path("stream").asBoolean(true)).as("the upstream was asked for one JSON answer").isFalse();
        assertThat(sentBody.has("stream_options")).isFalse();
        assertThat(sent.header("Content-Length")).isEqualTo(Integer.toString(sent.body().length));
    }
}
