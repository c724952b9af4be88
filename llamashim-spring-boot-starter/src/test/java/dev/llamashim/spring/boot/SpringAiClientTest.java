package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.StreamingProxyServlet;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.function.FunctionToolCallback;

/**
 * Spring AI's OpenAI chat model as the client: it streams a question with the fixtures' weather
 * tool declared (running tools is left to the caller) to a Spring Boot application that has only the starter
 * and a proxy servlet to a fake llama-server replaying captured answers. In every mode it must
 * get the model server's tool call exactly.
 */
class SpringAiClientTest {

    /**
     * The model servers: the new llama-server build streams tool calls itself; the old one refuses
     * ({@code 500 Cannot use tools with stream}) and answers {@code stream:false}. Expected calls
     * are the fixtures' ({@code new/tool-call-nonstream}, {@code new/tool-call-native-stream-usage},
     * {@code old/tool-call-nonstream}); the model server saw {@code stream} as given.
     */
    @ParameterizedTest(name = "{0} against the {1} llama-server")
    @CsvSource(delimiter = '|', value = {
        "repair     | new | iAnSI6x8HvMRT5F8AsoIEtrzLSXoxeqM | {\"location\":\"London\", \"unit\": \"fahrenheit\"} | true",
        "synthesize | new | GXjSadYcndOZ8R1waztCzffnUAsuhNux | {\"location\":\"London\", \"unit\": \"fahrenheit\"} | false",
        "auto       | old | nKYvi0BW19MdAiwU5McDUs4gBW1czvt3 | {\"location\":\"London\",\"unit\":\"fahrenheit\"}   | false",
    })
    void receivesTheToolCallExactly(String mode, String build, String id, String arguments, boolean lastAskedToStream) throws Exception {
        try (FakeLlamaServer model = FakeLlamaServer.start(Routes.llamaServer(build));
                ShimmedApp app = ShimmedApp.start(new StreamingProxyServlet(),
                        Map.of("proxyTo", model.baseUri().toString(), "timeout", "30000"), "llamashim.mode=" + mode)) {

            List<ChatResponse> responses = stream(app.baseUri());

            List<AssistantMessage.ToolCall> calls = responses.stream()
                    .map(ChatResponse::getResults)
                    .flatMap(List::stream)
                    .map(Generation::getOutput)
                    .filter(Objects::nonNull)
                    .flatMap(message -> message.getToolCalls().stream())
                    .toList();
            assertThat(calls).containsExactly(new AssistantMessage.ToolCall(id, "function", "get_weather", arguments));
            List<RecordedRequest> asked = model.requests();
            assertThat(asked.get(asked.size() - 1).json().path("stream").asBoolean(false)).isEqualTo(lastAskedToStream);
        }
    }

    /**
     * Streams the weather question with the tool declared. Spring AI 2.0's chat models never run
     * tools themselves (that moved to ChatClient's tool advisor), so the calls come back to the caller.
     */
    private static List<ChatResponse> stream(URI base) {
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
        return Objects.requireNonNull(responses);
    }

    /** The tool's arguments, as the fixtures' {@code get_weather} declares them. */
    record WeatherQuery(String location, String unit) {}
}
