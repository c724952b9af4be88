package dev.llamashim.examples.springcloudgateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Routes;
import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gateway with {@code llamashim.mode} set, as a user would on the command line. The gateway
 * answers on the request thread, so {@code auto}'s retry runs the rest of the filter chain again.
 */
class ModesTest {

    /**
     * The new llama-server build streams tool calls itself ({@code new/tool-call-native-stream-usage});
     * the old one refuses, and answers the retry with {@code old/tool-call-nonstream}.
     */
    @ParameterizedTest(name = "{0} against the {1} llama-server")
    @CsvSource(delimiter = '|', value = {
        "repair | new | iAnSI6x8HvMRT5F8AsoIEtrzLSXoxeqM | {\"location\":\"London\", \"unit\": \"fahrenheit\"} | true",
        "auto   | old | nKYvi0BW19MdAiwU5McDUs4gBW1czvt3 | {\"location\":\"London\",\"unit\":\"fahrenheit\"}   | true,false",
    })
    void streamsTheModelsToolCallExactly(String mode, String build, String id, String arguments, String askedToStream) throws Exception {
        try (FakeLlamaServer model = FakeLlamaServer.start(Routes.llamaServer(build));
                ConfigurableApplicationContext gateway = SpringApplication.run(ModelGatewayApplication.class,
                        "--server.port=0", "--spring.main.banner-mode=off", "--logging.level.root=WARN",
                        "--model.url=" + model.baseUri(), "--llamashim.mode=" + mode)) {
            URI base = URI.create("http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"));

            ChatCompletion completion = OpenAiJava.streamToolCall(base, true);

            ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
            assertThat(call.id()).isEqualTo(id);
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(call.function().arguments()).isEqualTo(arguments);
            assertThat(model.requests()).extracting(RecordedRequest::json).extracting(json -> json.path("stream").asText())
                    .containsExactly(askedToStream.split(","));
        }
    }
}
