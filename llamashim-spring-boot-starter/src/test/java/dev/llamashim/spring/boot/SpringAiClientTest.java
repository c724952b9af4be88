package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.StreamingProxyServlet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.ai.chat.messages.AssistantMessage;

/**
 * Spring AI as the client of a Spring Boot application that has only the starter, a
 * {@code llamashim.mode} property, and Jetty's proxy servlet forwarding to a fake llama-server
 * that replays captured answers. In every mode Spring AI must get the model's tool call exactly.
 */
class SpringAiClientTest {

    /**
     * The new llama-server build streams tool calls itself; the old one refuses
     * ({@code 500 Cannot use tools with stream}) and answers {@code stream:false}, which {@code auto}
     * turns to after the refusal. Expected calls are the fixtures' ({@code new/tool-call-nonstream},
     * {@code new/tool-call-native-stream-usage}, {@code old/tool-call-nonstream}); the last request
     * the model server saw asked for a stream only in {@code repair}.
     */
    @ParameterizedTest(name = "{0} against the {1} llama-server")
    @CsvSource(delimiter = '|', value = {
        "synthesize | new | GXjSadYcndOZ8R1waztCzffnUAsuhNux | {\"location\":\"London\", \"unit\": \"fahrenheit\"} | false",
        "repair     | new | iAnSI6x8HvMRT5F8AsoIEtrzLSXoxeqM | {\"location\":\"London\", \"unit\": \"fahrenheit\"} | true",
        "auto       | old | nKYvi0BW19MdAiwU5McDUs4gBW1czvt3 | {\"location\":\"London\",\"unit\":\"fahrenheit\"}   | false",
    })
    void receivesTheToolCallExactly(String mode, String build, String id, String arguments, boolean lastAskedToStream) throws Exception {
        try (FakeLlamaServer model = FakeLlamaServer.start(Routes.llamaServer(build));
                ShimmedApp app = ShimmedApp.start(new StreamingProxyServlet(),
                        Map.of("proxyTo", model.baseUri().toString(), "timeout", "30000"), "llamashim.mode=" + mode)) {

            List<AssistantMessage.ToolCall> calls = SpringAi.streamToolCalls(app.baseUri());

            assertThat(calls).containsExactly(new AssistantMessage.ToolCall(id, "function", "get_weather", arguments));
            List<RecordedRequest> asked = model.requests();
            assertThat(asked.get(asked.size() - 1).json().path("stream").asBoolean(false)).isEqualTo(lastAskedToStream);
        }
    }
}
