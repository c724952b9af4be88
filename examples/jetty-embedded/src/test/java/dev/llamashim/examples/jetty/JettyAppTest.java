package dev.llamashim.examples.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Routes;
import java.net.URI;
import java.net.http.HttpResponse;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JettyAppTest {

    private FakeLlamaServer model;
    private Server app;
    private URI base;

    @BeforeEach
    void start() throws Exception {
        model = FakeLlamaServer.start(Routes.llamaServer("new"));
        app = JettyApp.start("127.0.0.1", 0, model.baseUri());
        base = URI.create("http://127.0.0.1:" + ((ServerConnector) app.getConnectors()[0]).getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        app.stop();
        model.close();
    }

    @Test
    void streamsTheModelsToolCallToTheOpenAiSdkExactly() {
        ChatCompletion completion = OpenAiJava.streamToolCall(base, true);

        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        assertThat(model.onlyRequest().json().path("stream").asBoolean(true)).isFalse();
    }

    @Test
    void leavesANativeStreamAsTheModelServerSentIt() {
        Fixture stream = Fixture.load("new", "content-native-stream");

        HttpResponse<byte[]> answer = Http.postJson(base.resolve("/v1/chat/completions"), stream.requestBody());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(stream.body());
    }
}
