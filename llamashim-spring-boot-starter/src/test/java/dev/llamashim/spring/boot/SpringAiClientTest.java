package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.llamashim.core.testing.BrokenStream;
import dev.llamashim.core.testing.BrokenStream.Call;
import dev.llamashim.core.testing.BrokenStream.Defect;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.StreamingProxyServlet;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
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

    /**
     * A stream whose tool-call deltas have no {@code index}: Spring AI (on the OpenAI SDK) fails on
     * the first of them ({@code `index` is not set}). Repaired, each call gets its index.
     */
    @Test
    void receivesTheCallOfAStreamWithoutToolCallIndexes() throws Exception {
        Call weather = new Call("get_weather", JsonNodeFactory.instance.objectNode().put("location", "Paris").put("unit", "celsius"));
        BrokenStream stream = new BrokenStream(null, List.of(weather), true, EnumSet.of(Defect.MISSING_INDEX), false, 5);
        try (FakeLlamaServer model = FakeLlamaServer.start(Routes.always(Reply.of(200, "text/event-stream", stream.bytes())));
                ShimmedApp app = ShimmedApp.start(new StreamingProxyServlet(),
                        Map.of("proxyTo", model.baseUri().toString(), "timeout", "30000"), "llamashim.mode=repair")) {

            List<AssistantMessage.ToolCall> calls = SpringAi.streamToolCalls(app.baseUri());

            assertThat(calls).containsExactly(
                    new AssistantMessage.ToolCall(BrokenStream.upstreamId(0), "function", "get_weather", weather.argumentsText()));
        }
    }
}
