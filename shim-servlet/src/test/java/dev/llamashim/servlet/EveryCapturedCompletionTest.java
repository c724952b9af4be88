package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.Choice;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.ServletContainer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The round-trip law with the real client: every complete chat completion llama-server gave in the
 * captures (both builds), streamed through the filter and Jetty's proxy, accumulates in
 * openai-java to exactly the captured message, finish reason and usage.
 */
class EveryCapturedCompletionTest {

    private static final AtomicReference<Fixture> ANSWER = new AtomicReference<>();
    private static Downstream.Setup setup;

    @BeforeAll
    static void start() {
        setup = Downstream.PROXY.start(ServletContainer.Kind.JETTY, new ToolStreamFilter(ShimSettings.builder().chunkSize(7).build()),
                request -> Reply.of(ANSWER.get()), 16);
    }

    @AfterAll
    static void stop() throws Exception {
        setup.close();
    }

    static Stream<Fixture> completions() {
        return Fixture.all().stream().filter(Fixture::isNonStreamedCompletion);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completions")
    void openAiJavaAccumulatesExactlyTheCapturedCompletion(Fixture fixture) {
        ANSWER.set(fixture);
        ChatResponse expected = ChatResponse.parse(fixture.body());

        ChatCompletion completion = OpenAiJava.streamToolCall(setup.container().baseUri(), true);

        assertThat(completion.id()).isEqualTo(expected.id());
        assertThat(completion.model()).isEqualTo(expected.model());
        assertThat(completion.choices()).hasSameSizeAs(expected.choices());
        for (int i = 0; i < expected.choices().size(); i++) {
            Choice want = expected.choices().get(i);
            ChatCompletion.Choice got = completion.choices().get(i);
            assertThat(got.finishReason().asString()).isEqualTo(want.effectiveFinishReason());
            assertThat(got.message().content().orElse(null)).isEqualTo(want.message().content());
            List<ChatCompletionMessageToolCall> calls = got.message().toolCalls().orElse(List.of());
            assertThat(calls).hasSameSizeAs(want.message().toolCalls());
            for (int c = 0; c < calls.size(); c++) {
                ToolCall wantCall = want.message().toolCalls().get(c);
                ChatCompletionMessageFunctionToolCall gotCall = calls.get(c).asFunction();
                assertThat(gotCall.id()).isEqualTo(wantCall.id());
                assertThat(gotCall.function().name()).isEqualTo(wantCall.name());
                assertThat(gotCall.function().arguments()).isEqualTo(wantCall.arguments());
            }
        }
        assertThat(completion.usage().orElseThrow().totalTokens())
                .isEqualTo(Long.parseLong(expected.usage().json().replaceAll(".*\"total_tokens\":(\\d+).*", "$1")));
    }
}
