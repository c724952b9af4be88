package dev.llamashim.servlet.testing;

import static dev.llamashim.servlet.testing.CorpusReplay.assertIntended;
import static dev.llamashim.servlet.testing.CorpusReplay.assertStreamKeepsTheContract;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import dev.llamashim.core.Message;
import dev.llamashim.core.testing.BrokenCorpus.BrokenCase;
import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.RoundTrip;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of the broken-answer corpus ({@link BrokenCorpus}) through llamashim over real HTTP,
 * with the official OpenAI Java SDK as the client, in front of a fake model server replaying the
 * case ({@link CorpusReplay#route}). A subclass says how llamashim is run (the filter in a
 * container, the launcher); one server per {@link CorpusRun} serves every case.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BrokenCorpusEndToEnd {

    private static final List<BrokenCase> CASES = BrokenCorpus.all();

    private final Map<CorpusRun, Started> running = new EnumMap<>(CorpusRun.class);

    /**
     * llamashim started with {@code run}'s settings, answered behind by {@code route}.
     *
     * @param uri where clients reach it ({@code http://127.0.0.1:<port>})
     * @param parts what to close when the tests are done
     */
    public record Started(URI uri, AutoCloseable... parts) {}

    /** Starts llamashim with {@code run}'s settings in front of a model server that answers with {@code route}. */
    protected abstract Started start(CorpusRun run, Function<RecordedRequest, Reply> route);

    @AfterAll
    void stopAll() throws Exception {
        for (Started started : running.values()) {
            for (AutoCloseable part : started.parts()) {
                part.close();
            }
        }
        running.clear();
    }

    private synchronized URI server(CorpusRun run) {
        return running.computeIfAbsent(run, key -> start(run, CorpusReplay.route(CASES))).uri();
    }

    private static Stream<Named<BrokenCase>> cases(Predicate<BrokenCase> which) {
        return CASES.stream().filter(which).map(testCase -> Named.of(testCase.name(), testCase));
    }

    static Stream<Named<BrokenCase>> streamCases() {
        return cases(BrokenCase::stream);
    }

    static Stream<Named<BrokenCase>> jsonCases() {
        return cases(testCase -> !testCase.stream());
    }

    static Stream<Named<BrokenCase>> allCases() {
        return cases(testCase -> true);
    }

    /** Cases whose model server makes no tool call of its own: any call there is text the model wrote. */
    static Stream<Named<BrokenCase>> casesWithoutNativeCalls() {
        return cases(testCase -> !CorpusReplay.upstreamMakesCalls(testCase));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streamCases")
    void repairGivesTheIntendedAnswerInAStreamThatKeepsTheContract(BrokenCase testCase) {
        URI server = server(CorpusRun.REPAIR);

        assertIntended(CorpusReplay.streamWithOpenAiJava(server, testCase), testCase);
        assertStreamKeepsTheContract(server, testCase);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void autoGivesTheIntendedAnswerInAStreamThatKeepsTheContract(BrokenCase testCase) {
        URI server = server(CorpusRun.AUTO);

        assertIntended(CorpusReplay.streamWithOpenAiJava(server, testCase), testCase);
        assertStreamKeepsTheContract(server, testCase);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonCases")
    void synthesizeGivesTheIntendedAnswerInAStreamThatKeepsTheContract(BrokenCase testCase) {
        URI server = server(CorpusRun.DEFAULTS);

        assertIntended(CorpusReplay.streamWithOpenAiJava(server, testCase), testCase);
        assertStreamKeepsTheContract(server, testCase);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("casesWithoutNativeCalls")
    void withTextToolCallsOffTheModelsTextReachesTheClientAsItWasWritten(BrokenCase testCase) {
        URI server = server(CorpusRun.TEXT_OFF);
        Message upstream = CorpusReplay.upstreamMessage(testCase);

        ChatCompletion completion = CorpusReplay.streamWithOpenAiJava(server, testCase);

        assertThat(completion.choices().get(0).message().toolCalls().orElse(List.of())).as("tool calls").isEmpty();
        assertThat(completion.choices().get(0).message().content().orElse("")).as("content").isEqualTo(orEmpty(upstream.content()));
        HttpResponse<byte[]> raw = Http.postJson(CorpusReplay.chatUri(server, testCase), CorpusReplay.requestBody(testCase, true));
        Message streamed = RoundTrip.accumulate(raw.body()).choices().get(0).message();
        assertThat(orEmpty(streamed.reasoningContent())).as("reasoning_content").isEqualTo(orEmpty(upstream.reasoningContent()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonCases")
    void withNormalizeNonStreamANonStreamingClientGetsTheIntendedAnswer(BrokenCase testCase) {
        URI server = server(CorpusRun.NORMALIZE);

        ChatCompletion completion = CorpusReplay.createWithOpenAiJava(server, testCase);

        assertIntended(completion, testCase);
        assertThat(orEmpty(CorpusReplay.reasoningContent(completion))).as("reasoning_content")
                .isEqualTo(orEmpty(testCase.expected().reasoningContent()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonCases")
    void byDefaultANonStreamingRequestGetsTheModelServersAnswerByteForByte(BrokenCase testCase) {
        URI server = server(CorpusRun.DEFAULTS);

        HttpResponse<byte[]> response = Http.postJson(CorpusReplay.chatUri(server, testCase), CorpusReplay.requestBody(testCase, false));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(testCase.upstream());
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }
}
