package dev.llamashim.examples.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.ToolStreamFilter;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The gateway servlet with the filter in front, in Jetty and in Tomcat, before a fake llama-server. */
class GatewayServletTest {

    private static final String GATEWAY_KEY = "sk-gateway-secret";

    private FakeLlamaServer model;
    private FakeLlamaServer secondModel;
    private ServletContainer gateway;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable running : new AutoCloseable[] {gateway, model, secondModel}) {
            if (running != null) {
                running.close();
            }
        }
    }

    private URI startGateway(ServletContainer.Kind kind, URI... upstreams) {
        GatewayServlet servlet = new GatewayServlet(new GatewayConfig(List.of(upstreams), GATEWAY_KEY, Duration.ofSeconds(30)));
        gateway = kind.start(new ToolStreamFilter(ShimSettings.defaults()), servlet, Map.of(), 16);
        return gateway.baseUri();
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void streamsTheModelsToolCallToTheOpenAiSdkExactly(ServletContainer.Kind kind) {
        model = FakeLlamaServer.start(Routes.llamaServer("new"));
        URI base = startGateway(kind, model.baseUri());

        ChatCompletion completion = OpenAiJava.streamToolCall(base, true);

        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(282);
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void sendsItsOwnApiKeyUpstreamAndTheFilterAsksForACompleteAnswer(ServletContainer.Kind kind) {
        model = FakeLlamaServer.start(Routes.llamaServer("new"));
        URI base = startGateway(kind, model.baseUri());

        OpenAiJava.streamToolCall(base, false);

        var forwarded = model.onlyRequest();
        assertThat(forwarded.path()).isEqualTo("/v1/chat/completions");
        assertThat(forwarded.header("Authorization")).isEqualTo("Bearer " + GATEWAY_KEY);
        assertThat(forwarded.json().path("stream").asBoolean(true)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void passesANativeStreamThroughByteForByte(ServletContainer.Kind kind) {
        Fixture stream = Fixture.load("new", "content-native-stream");
        model = FakeLlamaServer.start(Routes.llamaServer("new"));
        URI base = startGateway(kind, model.baseUri());

        HttpResponse<byte[]> answer = Http.postJson(base.resolve("/v1/chat/completions"), stream.requestBody());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue(stream.contentType());
        assertThat(answer.body()).isEqualTo(stream.body());
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void takesItsUpstreamsInTurn(ServletContainer.Kind kind) {
        model = FakeLlamaServer.start(Routes.llamaServer("new"));
        secondModel = FakeLlamaServer.start(Routes.llamaServer("new"));
        URI base = startGateway(kind, model.baseUri(), secondModel.baseUri());

        assertThat(Http.get(base.resolve("/v1/models")).statusCode()).isEqualTo(200);
        assertThat(Http.get(base.resolve("/v1/models")).statusCode()).isEqualTo(200);

        assertThat(model.requests()).hasSize(1);
        assertThat(secondModel.requests()).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void answersAnUnreachableUpstreamWithAnOpenAiError(ServletContainer.Kind kind) throws Exception {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        URI base = startGateway(kind, closed);

        HttpResponse<byte[]> answer = Http.get(base.resolve("/v1/models"));

        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(new String(answer.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":{\"message\":\"the model server could not be reached\",\"type\":\"upstream_error\",\"code\":\"upstream_error\"}}");
    }
}
