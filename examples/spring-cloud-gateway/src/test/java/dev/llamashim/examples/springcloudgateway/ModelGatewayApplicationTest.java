package dev.llamashim.examples.springcloudgateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Routes;
import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The gateway as configured in application.yaml, before a fake llama-server replaying captured answers, over real HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext // the gateway routes to this class's fake model server, which stops with the class
class ModelGatewayApplicationTest {

    private static final FakeLlamaServer MODEL = FakeLlamaServer.start(Routes.llamaServer("new"));

    @LocalServerPort
    private int port;

    @DynamicPropertySource
    static void routeToTheFakeModelServer(DynamicPropertyRegistry properties) {
        properties.add("model.url", () -> MODEL.baseUri().toString());
    }

    @AfterAll
    static void stopTheFakeModelServer() throws Exception {
        MODEL.close();
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Test
    void streamsTheModelsToolCallToTheOpenAiSdkExactly() {
        int before = MODEL.requests().size();

        ChatCompletion completion = OpenAiJava.streamToolCall(base(), true);

        // new/tool-call-nonstream's call, which llama-server answered to the stream:false request
        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(282);
        RecordedRequest forwarded = MODEL.requests().get(before);
        assertThat(forwarded.path()).isEqualTo("/v1/chat/completions");
        assertThat(forwarded.json().path("stream").asBoolean(true)).isFalse();
    }

    @Test
    void leavesANativeStreamAsTheModelServerSentIt() {
        Fixture stream = Fixture.load("new", "content-native-stream");

        HttpResponse<byte[]> answer = Http.postJson(base().resolve("/v1/chat/completions"), stream.requestBody());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(stream.body());
    }

    @Test
    void passesOtherRequestsThrough() {
        HttpResponse<byte[]> models = Http.get(base().resolve("/v1/models"));

        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).isEqualTo(Fixture.load("new", "models").body());
    }
}
