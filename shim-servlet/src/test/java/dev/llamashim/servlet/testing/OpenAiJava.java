package dev.llamashim.servlet.testing;

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
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The official OpenAI Java SDK, used the way an agent framework uses it: streaming, with a tool. */
public final class OpenAiJava {

    private OpenAiJava() {}

    /** A client for {@code base}/v1 that does not retry (a retry would hide a failure). */
    public static OpenAIClient client(URI base) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(base + "/v1")
                .apiKey("sk-test-not-a-real-key")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(30))
                .build();
    }

    /** The fixtures' {@code get_weather} tool. */
    public static ChatCompletionFunctionTool weatherTool() {
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

    /** Streams a weather question with the tool and accumulates the chunks as the SDK's helper does. */
    public static ChatCompletion streamToolCall(URI base, boolean includeUsage) {
        return streamToolCall(base, includeUsage, Map.of());
    }

    /** As {@link #streamToolCall(URI, boolean)}, with extra request headers (to steer a fake server). */
    public static ChatCompletion streamToolCall(URI base, boolean includeUsage, Map<String, String> headers) {
        OpenAIClient client = client(base);
        try {
            ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
                    .model("tiny")
                    .addUserMessage("What is the weather in Paris?")
                    .addTool(weatherTool());
            headers.forEach(params::putAdditionalHeader);
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
}
