package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Eventually;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.OpenAiJava;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link ShimListener} hears, once per request, what the filter did: the mode it took or the
 * error it answered, in every container with every kind of downstream.
 */
class ShimListenerTest {

    private static final String PLAIN_CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /** Keeps what it hears. */
    static final class Recording implements ShimListener {
        final AtomicInteger started = new AtomicInteger();
        final List<ShimRecord> ended = new CopyOnWriteArrayList<>();

        @Override
        public void requestStarted(PathClass pathClass) {
            started.incrementAndGet();
        }

        @Override
        public void requestEnded(ShimRecord record) {
            ended.add(record);
        }

        /** The records, once {@code count} requests have ended. */
        List<ShimRecord> awaitEnded(int count) throws InterruptedException {
            Eventually.await(count + " records", Duration.ofSeconds(10), () -> ended.size() >= count);
            assertThat(ended).hasSize(count);
            assertThat(started).hasValue(count);
            return List.copyOf(ended);
        }
    }

    private static Downstream.Setup start(ServletContainer.Kind kind, Downstream downstream, ShimSettings settings,
            Recording listener, Function<RecordedRequest, Reply> route) {
        return downstream.start(kind, new ToolStreamFilter(settings, listener), route, 16);
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void eachModeTakenIsHeardOnceWithItsPathClass(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Recording listener = new Recording();
        ShimSettings synthesize = ShimSettings.builder().mode(Mode.SYNTHESIZE).build();
        try (Downstream.Setup setup = start(kind, downstream, synthesize, listener, Routes.llamaServer("new"))) {
            OpenAiJava.streamToolCall(setup.container().baseUri(), false);
            Http.getText(setup.container().baseUri().resolve("/v1/models"));
            Http.postJsonText(RepairModeTest.chat(setup), PLAIN_CHAT);

            List<ShimRecord> records = listener.awaitEnded(3);
            assertThat(records).extracting(ShimRecord::pathClass, ShimRecord::outcome, ShimRecord::errorCode)
                    .containsExactlyInAnyOrder(
                            tuple(PathClass.CHAT, ShimOutcome.SYNTHESIZED, null),
                            tuple(PathClass.OTHER, ShimOutcome.PASSED_THROUGH, null),
                            tuple(PathClass.CHAT, ShimOutcome.PASSED_THROUGH, null));
            assertThat(records).allSatisfy(record -> assertThat(record.clientGone()).isFalse());
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void autoSaysWhetherItRepairedTheStreamOrRetriedWithoutStreaming(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        ShimSettings auto = ShimSettings.builder().mode(Mode.AUTO).build();
        Recording onNew = new Recording();
        try (Downstream.Setup setup = start(kind, downstream, auto, onNew, Routes.llamaServer("new"))) {
            OpenAiJava.streamToolCall(setup.container().baseUri(), true);
            assertThat(onNew.awaitEnded(1)).extracting(ShimRecord::outcome, ShimRecord::retryReason)
                    .containsExactly(tuple(ShimOutcome.REPAIRED, null));
        }
        Recording onOld = new Recording();
        try (Downstream.Setup setup = start(kind, downstream, auto, onOld, Routes.llamaServer("old"))) {
            OpenAiJava.streamToolCall(setup.container().baseUri(), true);
            OpenAiJava.streamToolCall(setup.container().baseUri(), true);
            assertThat(onOld.awaitEnded(2)).extracting(ShimRecord::outcome, ShimRecord::retryReason, ShimRecord::retried)
                    .as("refused and asked again, then asked for JSON straight away")
                    .containsExactly(tuple(ShimOutcome.RETRIED_SYNTHESIZED, "refused_to_stream", true),
                            tuple(ShimOutcome.SYNTHESIZED, null, false));
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void aJsonAnswerRepairedForTheClientIsRecordedWithWhatWasMended(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        // A completion that calls get_weather but says "stop", as Ollama and LM Studio answer.
        Reply stopWithACall = Reply.json(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"stop\"}]}");
        byte[] streamRequest = Fixture.load("new", "tool-call-native-stream").requestBody();
        byte[] jsonRequest = Fixture.load("new", "tool-call-nonstream").requestBody();
        Recording listener = new Recording();
        ShimSettings settings = ShimSettings.builder().mode(Mode.SYNTHESIZE).normalizeNonStream(true).build();
        try (Downstream.Setup setup = start(kind, downstream, settings, listener, Routes.always(stopWithACall))) {
            HttpResponse<byte[]> synthesized = Http.postJson(RepairModeTest.chat(setup), streamRequest);
            HttpResponse<byte[]> normalized = Http.postJson(RepairModeTest.chat(setup), jsonRequest);

            assertThat(synthesized.statusCode()).isEqualTo(200);
            assertThat(normalized.statusCode()).isEqualTo(200);
            assertThat(listener.awaitEnded(2)).extracting(ShimRecord::outcome, record -> record.repairs().mended())
                    .containsExactly(
                            tuple(ShimOutcome.SYNTHESIZED, Map.of("finish_reason", 1)),
                            tuple(ShimOutcome.NORMALIZED, Map.of("finish_reason", 1)));
        }
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("dev.llamashim.servlet.testing.Downstream#everyCombination")
    void theModelServersErrorIsForwardedAndTheFiltersOwnErrorsAreNamed(ServletContainer.Kind kind, Downstream downstream)
            throws Exception {
        Recording listener = new Recording();
        ShimSettings settings = ShimSettings.builder().maxBodyBytes(2000).build();
        try (Downstream.Setup setup = start(kind, downstream, settings, listener,
                Routes.always(Fixture.load("new", "error-prompt-too-long")))) {
            String tools = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
                    + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}]}";
            HttpResponse<String> forwarded = Http.postJsonText(RepairModeTest.chat(setup), tools.formatted("hi"));
            HttpResponse<byte[]> tooLarge = Http.postJson(RepairModeTest.chat(setup),
                    tools.formatted("x".repeat(3000)).getBytes(StandardCharsets.UTF_8));

            assertThat(forwarded.statusCode()).isEqualTo(400);
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            assertThat(listener.awaitEnded(2)).extracting(ShimRecord::outcome, ShimRecord::errorCode).containsExactly(
                    tuple(ShimOutcome.FORWARDED, null),
                    tuple(ShimOutcome.ERROR, "request_too_large"));
        }
    }
}
