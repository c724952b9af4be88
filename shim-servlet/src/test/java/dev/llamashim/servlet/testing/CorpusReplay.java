package dev.llamashim.servlet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.ObjectMappers;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.Message;
import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.BrokenCorpus.BrokenCase;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The corpus of broken model-server answers ({@link BrokenCase}) over real HTTP: a fake model
 * server's route that answers {@code /case/NAME/v1/chat/completions} with case NAME's upstream
 * bytes, and what a client of llamashim in front of it must end with.
 *
 * <p>A stream case is answered with its events, one write each. A JSON case refuses
 * {@code stream:true} as llama-server builds before 2025 did ({@code 500 Cannot use tools with
 * stream}), so {@code auto} asks again with {@code stream:false}, and answers that with its JSON.
 */
public final class CorpusReplay {

    private static final Pattern CASE_PATH = Pattern.compile("/case/([^/]+)/v1/chat/completions");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GENERATED_ID = Pattern.compile("call_[A-Za-z0-9]{24}");

    private CorpusReplay() {}

    /** Answers each case's path with that case's upstream answer; any other path as llama-server does (404). */
    public static Function<RecordedRequest, Reply> route(List<BrokenCase> cases) {
        Map<String, BrokenCase> byName = cases.stream().collect(Collectors.toMap(BrokenCase::name, c -> c));
        return request -> {
            Matcher path = CASE_PATH.matcher(request.path().split("\\?", 2)[0]);
            BrokenCase found = path.matches() ? byName.get(path.group(1)) : null;
            if (found == null) {
                return Reply.of(Fixture.load("new", "error-unknown-path-post"));
            }
            if (found.stream()) {
                return Reply.of(200, "text/event-stream", found.upstream()).eventByEvent(Duration.ZERO);
            }
            if (request.json().path("stream").asBoolean(false)) {
                return Reply.of(Fixture.load("old", "tool-call-stream-refused"));
            }
            return Reply.of(200, "application/json; charset=utf-8", found.upstream());
        };
    }

    /** The base URL a client uses for {@code testCase} with llamashim at {@code server}; the SDK adds {@code /v1}. */
    public static URI base(URI server, BrokenCase testCase) {
        return URI.create(server + "/case/" + testCase.name());
    }

    /** The chat completions URL of {@code testCase} with llamashim at {@code server}. */
    public static URI chatUri(URI server, BrokenCase testCase) {
        return URI.create(base(server, testCase) + "/v1/chat/completions");
    }

    /** The case's request, streaming, through openai-java's {@code createStreaming} and {@code ChatCompletionAccumulator}. */
    public static ChatCompletion streamWithOpenAiJava(URI server, BrokenCase testCase) {
        OpenAIClient client = OpenAiJava.client(base(server, testCase));
        try {
            ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params(testCase))) {
                stream.stream().forEach(accumulator::accumulate);
            }
            return accumulator.chatCompletion();
        } finally {
            client.close();
        }
    }

    /** The case's request, not streaming, through openai-java's {@code create}. */
    public static ChatCompletion createWithOpenAiJava(URI server, BrokenCase testCase) {
        OpenAIClient client = OpenAiJava.client(base(server, testCase));
        try {
            return client.chat().completions().create(params(testCase));
        } finally {
            client.close();
        }
    }

    /** The case's request body with {@code stream} set as asked, for a raw HTTP client. */
    public static byte[] requestBody(BrokenCase testCase, boolean stream) {
        ObjectNode request = requestWithoutStream(testCase);
        request.put("stream", stream);
        return request.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Streams the case's request with a raw HTTP client and checks the bytes against the stream
     * contract, and that their {@code reasoning_content} is the intended one (openai-java's
     * accumulator has no such field).
     */
    public static void assertStreamKeepsTheContract(URI server, BrokenCase testCase) {
        HttpResponse<byte[]> response = Http.postJson(chatUri(server, testCase), requestBody(testCase, true));

        assertThat(response.statusCode()).as("status").isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
        StreamContract.assertConforms(response.body(), testCase.usageChunkExpected());
        Message message = RoundTrip.accumulate(response.body()).choices().get(0).message();
        assertThat(emptyAsNull(message.reasoningContent())).as("reasoning_content")
                .isEqualTo(emptyAsNull(testCase.expected().reasoningContent()));
    }

    /** Checks that {@code completion} carries exactly what the case intends: calls, content, finish reason. */
    public static void assertIntended(ChatCompletion completion, BrokenCase testCase) {
        assertThat(completion.choices()).as("choices").hasSize(1);
        ChatCompletion.Choice choice = completion.choices().get(0);
        BrokenCorpus.Expected expected = testCase.expected();
        assertThat(emptyAsNull(choice.message().content().orElse(null))).as("content").isEqualTo(emptyAsNull(expected.content()));
        assertThat(choice.finishReason().asString()).as("finish_reason").isEqualTo(expected.finishReason());
        List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElse(List.of());
        assertThat(calls).as("tool calls").hasSize(expected.toolCalls().size());
        for (int i = 0; i < calls.size(); i++) {
            ChatCompletionMessageFunctionToolCall call = calls.get(i).asFunction();
            BrokenCorpus.ExpectedCall intended = expected.toolCalls().get(i);
            assertThat(call.function().name()).as("call %d name", i).isEqualTo(intended.name());
            assertThat(parse(call.function().arguments())).as("call %d arguments", i).isEqualTo(intended.arguments());
            if (intended.id() != null) {
                assertThat(call.id()).as("call %d id", i).isEqualTo(intended.id());
            } else {
                assertThat(call.id()).as("call %d id", i).matches(GENERATED_ID);
            }
        }
    }

    /** The {@code reasoning_content} of a non-streamed completion (openai-java keeps it among the unnamed fields). */
    public static String reasoningContent(ChatCompletion completion) {
        JsonValue value = completion.choices().get(0).message()._additionalProperties().get("reasoning_content");
        if (value == null) {
            return null;
        }
        Optional<?> text = value.asString();
        return text.map(Object::toString).orElse(null);
    }

    /** Whether the model server's answer carries {@code tool_calls} of its own (in any chunk, for a stream). */
    public static boolean upstreamMakesCalls(BrokenCase testCase) {
        String path = testCase.stream() ? "delta" : "message";
        List<String> documents = testCase.stream()
                ? new String(testCase.upstream(), StandardCharsets.UTF_8).lines()
                        .filter(line -> line.startsWith("data: {")).map(line -> line.substring("data: ".length())).toList()
                : List.of(new String(testCase.upstream(), StandardCharsets.UTF_8));
        for (String document : documents) {
            for (JsonNode choice : parse(document).path("choices")) {
                if (!choice.path(path).path("tool_calls").isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The message of the model server's own answer (accumulated as the OpenAI SDKs do, for a stream). */
    public static Message upstreamMessage(BrokenCase testCase) {
        ChatResponse response = testCase.stream()
                ? RoundTrip.accumulate(testCase.upstream())
                : ChatResponse.parse(testCase.upstream());
        return response.choices().get(0).message();
    }

    private static ChatCompletionCreateParams params(BrokenCase testCase) {
        try {
            ChatCompletionCreateParams.Body body = ObjectMappers.jsonMapper()
                    .treeToValue(requestWithoutStream(testCase), ChatCompletionCreateParams.Body.class);
            return ChatCompletionCreateParams.builder().body(body).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode requestWithoutStream(BrokenCase testCase) {
        try {
            ObjectNode request = (ObjectNode) JSON.readTree(testCase.request());
            request.remove("stream");
            return request;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static String emptyAsNull(String text) {
        return Optional.ofNullable(text).filter(t -> !t.isEmpty()).orElse(null);
    }
}
