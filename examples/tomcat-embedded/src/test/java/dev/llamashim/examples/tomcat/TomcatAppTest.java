package dev.llamashim.examples.tomcat;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.SseChunk;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Routes;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TomcatAppTest {

    private static final int CHUNK_SIZE = 10;

    private FakeLlamaServer model;
    private Tomcat tomcat;
    private URI base;

    @BeforeEach
    void start() throws Exception {
        model = FakeLlamaServer.start(Routes.llamaServer("new"));
        tomcat = TomcatApp.start("127.0.0.1", 0, model.baseUri(), "sk-upstream", CHUNK_SIZE);
        base = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        model.close();
    }

    @Test
    void streamsTheModelsToolCallToTheOpenAiSdkExactly() {
        ChatCompletion completion = OpenAiJava.streamToolCall(base, true);

        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        assertThat(model.onlyRequest().header("Authorization")).isEqualTo("Bearer sk-upstream");
    }

    @Test
    void cutsTheArgumentsIntoPiecesOfTheChunkSizeFromItsInitParam() {
        byte[] request = Fixture.load("new", "tool-call-nonstream").requestBodyText()
                .replace("\"stream\": false", "\"stream\": true").getBytes(StandardCharsets.UTF_8);

        HttpResponse<byte[]> answer = Http.postJson(base.resolve("/v1/chat/completions"), request);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        StreamContract.assertConforms(answer.body(), false);
        long argumentPieces = SseParser.parseAll(answer.body()).stream()
                .filter(event -> event instanceof SseChunk.Data data && data.data().contains("\"function\":{\"arguments\":\""))
                .count();
        // 44 code points of arguments in pieces of 10
        assertThat(argumentPieces).isEqualTo(5);
    }
}
