package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.llamashim.jetty.testing.FakeLlamaServer;
import dev.llamashim.jetty.testing.Fixture;
import dev.llamashim.jetty.testing.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/v1/chat/completions", (request, response, callback) -> {
            boolean streamRequested = JSON.readTree(request.body()).path("stream").asBoolean(false);
            (streamRequested ? refusal : answer).writeTo(response, callback);
        });
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.uri()).build());

        ChatCompletion completion = streamWeatherQuestion(includeUsage);

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
        JsonNode sentBody = JSON.readTree(sent.body());
        assertThat(sentBody.path("stream").asBoolean(true)).as("the upstream was asked for one JSON answer").isFalse();
        assertThat(sentBody.has("stream_options")).isFalse();
        assertThat(sent.header("Content-Length")).isEqualTo(Integer.toString(sent.body().length));
    }

    private ChatCompletion streamWeatherQuestion(boolean includeUsage) {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + launcher.port() + "/v1")
                .apiKey("x")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(30))
                .build();
        try {
            ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
                    .model("tiny")
                    .addUserMessage("What is the weather in London?")
                    .addTool(weatherTool());
            if (includeUsage) {
                params.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
            }
            ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params.build())) {
                stream.stream().forEach(accumulator::accumulate);
            }
            return accumulator.chatCompletion();
        } finally {
            client.close();
        }
    }

    private static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder()
                        .name("get_weather")
                        .description("Get the current weather for a city")
                        .parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                        "location", Map.of("type", "string", "enum", List.of("Paris", "London", "Tokyo")),
                                        "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("location", "unit")))
                                .build())
                        .build())
                .build();
    }
}
