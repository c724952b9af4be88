package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.BrokenStream;
import dev.llamashim.core.testing.BrokenStream.Call;
import dev.llamashim.core.testing.BrokenStream.Defect;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code mode: repair} and {@code mode: auto} through the launcher, end to end with openai-java:
 * the old llama-server build (refuses to stream tool calls) and the new one (streams them) give the
 * client the same tool call, and a broken native stream reaches it mended, event by event.
 */
class ModesEndToEndTest {

    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    private void start(Mode mode, Function<RecordedRequest, Reply> route) {
        upstream = FakeLlamaServer.start(route);
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).mode(mode).build());
    }

    private List<Boolean> streamFlags() {
        return upstream.requests().stream().map(request -> request.json().path("stream").asBoolean(false)).toList();
    }

    @ParameterizedTest(name = "{0} build, include_usage={1}")
    @CsvSource({"old, false", "old, true", "new, false", "new, true"})
    void autoGivesOpenAiJavaTheToolCallFromEitherBuild(String build, boolean includeUsage) {
        start(Mode.AUTO, Routes.llamaServer(build));

        ChatCompletion completion = OpenAiJava.streamToolCall(launcher.uri(), includeUsage);

        ToolCall expected = ChatResponse.parse(Fixture.load(build, "tool-call-nonstream").body())
                .choices().get(0).message().toolCalls().get(0);
        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(call.function().name()).isEqualTo(expected.name());
        assertThat(call.function().arguments()).isEqualTo(expected.arguments());
        if (build.equals("new")) {
            ChatResponse nativeMessage = RoundTrip.accumulate(
                    Fixture.load("new", includeUsage ? "tool-call-native-stream-usage" : "tool-call-native-stream").body());
            assertThat(call.id()).isEqualTo(nativeMessage.choices().get(0).message().toolCalls().get(0).id());
            assertThat(streamFlags()).containsExactly(true);
        } else {
            assertThat(call.id()).isEqualTo(expected.id());
            assertThat(streamFlags()).containsExactly(true, false);
        }
        assertThat(completion.usage().isPresent()).isEqualTo(includeUsage);

        OpenAiJava.streamToolCall(launcher.uri(), includeUsage);
        assertThat(streamFlags()).as("the old build's refusal is remembered")
                .containsExactlyElementsOf(build.equals("new") ? List.of(true, true) : List.of(true, false, false));
    }

    @Test
    void repairMendsABrokenStreamAndSendsEachEventAsItArrives() throws Exception {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        BrokenStream broken = new BrokenStream("Looking it up.", List.of(
                new Call("get_weather", nodes.objectNode().put("location", "Paris").put("unit", "celsius"))),
                false, EnumSet.allOf(Defect.class), false, 4);
        Reply slow = Reply.of(200, "text/event-stream", broken.bytes()).eventByEvent(Duration.ofMillis(100));
        start(Mode.REPAIR, Routes.always(slow));

        ChatCompletion completion = OpenAiJava.streamToolCall(launcher.uri(), false);

        ChatCompletionMessageFunctionToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertThat(completion.choices().get(0).message().content()).hasValue("Looking it up.");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo(broken.calls().get(0).argumentsText());
        assertThat(upstream.onlyRequest().json().path("stream").asBoolean()).isTrue();

        List<Long> arrivals = Http.dataEventArrivalMillis(launcher.uri().resolve("/v1/chat/completions"),
                Fixture.load("new", "tool-call-native-stream").requestBody());
        long upstreamTime = 100L * (slow.parts().size() - 1);
        assertThat(arrivals.get(1)).as("second event's arrival (ms) of %s over %d ms", arrivals, upstreamTime)
                .isLessThan(upstreamTime / 2);
    }
}
