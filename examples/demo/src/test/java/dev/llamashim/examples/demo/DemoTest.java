package dev.llamashim.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamAccumulator;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DemoTest {

    private Demo demo;

    @BeforeEach
    void start() {
        demo = Demo.start(0);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    @Test
    void theRequestOfThePrintedCurlCommandGetsTheCannedToolCallAsAStream() {
        assertThat(demo.curlCommand()).startsWith("curl -N " + demo.uri() + "/v1/chat/completions ");

        HttpResponse<byte[]> answer = Http.postJson(demo.uri().resolve("/v1/chat/completions"),
                Demo.REQUEST.getBytes(StandardCharsets.UTF_8));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        StreamContract.assertConforms(answer.body(), true);
        StreamAccumulator accumulator = new StreamAccumulator();
        SseParser.parseAll(answer.body()).forEach(accumulator::accept);
        ToolCall call = accumulator.toResponse().choices().get(0).message().toolCalls().get(0);
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
    }

    @Test
    void theOpenAiSdkGetsTheCannedToolCallExactly() {
        ChatCompletion completion = OpenAiJava.streamToolCall(demo.uri(), false);

        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        assertThat(completion.choices().get(0).finishReason()).hasToString("tool_calls");
    }
}
