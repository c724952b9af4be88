package dev.llamashim.spring.boot;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.function.FunctionToolCallback;

/**
 * Spring AI's OpenAI chat model used as an application uses it: streaming a question with the
 * fixtures' {@code get_weather} tool declared. Spring AI 2.0's chat models never run tools
 * themselves (that is ChatClient's tool advisor's job), so the calls come back to the caller.
 */
final class SpringAi {

    private SpringAi() {}

    /** Streams the weather question to {@code base}/v1 and returns the tool calls of all streamed responses. */
    static List<AssistantMessage.ToolCall> streamToolCalls(URI base) {
        ToolCallback weather = FunctionToolCallback.builder("get_weather", (WeatherQuery query) -> "sunny")
                .description("Get the current weather for a city")
                .inputType(WeatherQuery.class)
                .build();
        OpenAiChatModel chatModel = OpenAiChatModel.builder()
                .options(OpenAiChatOptions.builder()
                        .baseUrl(base + "/v1")
                        .apiKey("sk-test-not-a-real-key")
                        .model("tiny")
                        .maxRetries(0)
                        .timeout(Duration.ofSeconds(30))
                        .toolCallbacks(weather)
                        .build())
                .build();
        List<ChatResponse> responses = chatModel.stream(new Prompt("What is the weather in Paris?"))
                .collectList()
                .block(Duration.ofSeconds(30));
        return Objects.requireNonNull(responses).stream()
                .map(ChatResponse::getResults)
                .flatMap(List::stream)
                .map(Generation::getOutput)
                .filter(Objects::nonNull)
                .flatMap(message -> message.getToolCalls().stream())
                .toList();
    }

    /** The tool's arguments, as the fixtures' {@code get_weather} declares them. */
    record WeatherQuery(String location, String unit) {}
}
