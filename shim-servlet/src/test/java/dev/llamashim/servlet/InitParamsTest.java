package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamRepairer;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.TextToolCalls;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.ReplayServlet;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The filter declared the {@code web.xml} way: made by its no-arg constructor, set by init-params. */
class InitParamsTest {

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void initParamsSetTheChunkSizeAndTheChatPaths(ServletContainer.Kind kind) throws Exception {
        Fixture toolCall = Fixture.load("new", "tool-call-nonstream");
        Map<String, String> params = Map.of("chunk-size", "4", "chat-paths", "/chat/completions, /llm/chat", "simulate-when", "TOOLS");
        try (ServletContainer container = kind.start(new ToolStreamFilter(), params,
                ReplayServlet.async(Routes.always(toolCall)), Map.of(), 16)) {
            HttpResponse<byte[]> response = Http.postJson(container.baseUri().resolve("/llm/chat"),
                    Fixture.load("new", "tool-call-native-stream").requestBody());

            byte[] expected = new StreamSynthesizer(ChunkingPolicy.byCodePoints(4)).toBytes(ChatResponse.parse(toolCall.body()), false);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void theModeInitParamMakesTheFilterRepairTheModelServersStream(ServletContainer.Kind kind) throws Exception {
        Fixture nativeStream = Fixture.load("new", "tool-call-native-stream");
        try (ServletContainer container = kind.start(new ToolStreamFilter(), Map.of("mode", "repair"),
                ReplayServlet.sync(Routes.always(nativeStream)), Map.of(), 16)) {
            HttpResponse<byte[]> response = Http.postJson(container.baseUri().resolve("/v1/chat/completions"),
                    nativeStream.requestBody());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(StreamRepairer.repair(nativeStream.body(), false));
        }
    }

    @Test
    void anUnknownModeStopsTheFilterFromStartingWithTheModesAccepted() {
        ShimConfigException error = org.junit.jupiter.api.Assertions.assertThrows(ShimConfigException.class,
                () -> new ToolStreamFilter().init(new FakeFilterConfig(Map.of("mode", "stream"))));
        assertThat(error.getMessage()).isEqualTo("mode must be \"synthesize\", \"repair\" or \"auto\", got \"stream\"");
    }

    @Test
    void aMalformedInitParamStopsTheFilterFromStartingWithItsName() {
        ShimConfigException error = org.junit.jupiter.api.Assertions.assertThrows(ShimConfigException.class,
                () -> new ToolStreamFilter().init(new FakeFilterConfig(Map.of("chunk-size", "fifty"))));
        assertThat(error.getMessage()).isEqualTo("chunk-size must be a whole number, got \"fifty\"");
    }

    @Test
    void textToolCallsAndNormalizeNonStreamAreReadInAnyCase() {
        ShimSettings settings = ShimSettings.fromParams(Map.of("text-tool-calls", " OFF ", "normalize-non-stream", "True")::get);

        assertThat(settings.textToolCalls()).isEqualTo(TextToolCalls.OFF);
        assertThat(settings.normalizeNonStream()).isTrue();
        assertThat(ShimSettings.defaults().textToolCalls()).isEqualTo(TextToolCalls.EXTRACT);
        assertThat(ShimSettings.defaults().normalizeNonStream()).isFalse();
    }

    @Test
    void badTextToolCallsAndNormalizeNonStreamValuesStopTheFilterWithTheValuesAccepted() {
        ShimConfigException textError = org.junit.jupiter.api.Assertions.assertThrows(ShimConfigException.class,
                () -> new ToolStreamFilter().init(new FakeFilterConfig(Map.of("text-tool-calls", "strip"))));
        assertThat(textError.getMessage()).isEqualTo("text-tool-calls must be \"extract\" or \"off\", got \"strip\"");
        ShimConfigException normalizeError = org.junit.jupiter.api.Assertions.assertThrows(ShimConfigException.class,
                () -> new ToolStreamFilter().init(new FakeFilterConfig(Map.of("normalize-non-stream", "yes"))));
        assertThat(normalizeError.getMessage()).isEqualTo("normalize-non-stream must be \"true\" or \"false\", got \"yes\"");
    }

    /** Just enough of a FilterConfig to call init() directly. */
    private record FakeFilterConfig(Map<String, String> params) implements jakarta.servlet.FilterConfig {
        @Override
        public String getFilterName() {
            return "llamashim";
        }

        @Override
        public jakarta.servlet.ServletContext getServletContext() {
            return null;
        }

        @Override
        public String getInitParameter(String name) {
            return params.get(name);
        }

        @Override
        public java.util.Enumeration<String> getInitParameterNames() {
            return java.util.Collections.enumeration(params.keySet());
        }
    }
}
