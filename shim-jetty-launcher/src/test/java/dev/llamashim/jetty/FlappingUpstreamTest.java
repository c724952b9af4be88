package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.ObjectMappers;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A thousand requests at once while the model server flaps — answers, answers late, fails with
 * 500, drops the connection, cuts its answer short, or stays silent past {@code request_timeout}:
 * every client gets a stream the OpenAI SDK reads, the model server's JSON, or an OpenAI-shaped
 * error status, and none waits forever.
 */
class FlappingUpstreamTest {

    private static final int REQUESTS = 1_000;
    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(1_500);
    /** Far more than the slowest request needs (request_timeout plus queueing on a slow machine). */
    private static final Duration ALL_DONE_WITHIN = Duration.ofSeconds(60);
    private static final byte[] TOOL_CALL = Fixture.load("new", "tool-call-nonstream").body();
    private static final byte[] SERVER_ERROR = "{\"error\":{\"code\":500,\"message\":\"model crashed\",\"type\":\"server_error\"}}"
            .getBytes(StandardCharsets.UTF_8);
    private static final String SHIMMED = "{\"model\":\"tiny\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";
    private static final String NOT_SHIMMED = SHIMMED.replace("\"stream\":true", "\"stream\":false");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the model server does with its n-th request: n modulo 20 picks a row. */
    private enum Flap {
        ANSWER(8), ANSWER_LATE(3), SERVER_ERROR(3), DROP_CONNECTION(2), CUT_SHORT(2), SILENT(2);

        final int share;

        Flap(int share) {
            this.share = share;
        }

        static Flap of(int n) {
            int slot = n % 20;
            for (Flap flap : values()) {
                if (slot < flap.share) {
                    return flap;
                }
                slot -= flap.share;
            }
            throw new AssertionError("shares add up to 20");
        }
    }

    private final AtomicInteger received = new AtomicInteger();
    private FakeLlamaServer upstream;
    private RunningLauncher launcher;

    @BeforeEach
    void start() {
        upstream = FakeLlamaServer.start();
        upstream.route("POST", "/v1/chat/completions", (request, response, callback) ->
                flap(Flap.of(received.getAndIncrement()), response, callback));
        launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri())
                .requestTimeout(REQUEST_TIMEOUT).build());
    }

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        upstream.close();
    }

    @Test
    void everyRequestGetsAReadableStreamTheAnswerOrAnOpenAiShapedErrorAndNoneHangs() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
            String body = i % 5 == 0 ? NOT_SHIMMED : SHIMMED;
            HttpRequest request = HttpRequest.newBuilder(launcher.uri().resolve("/v1/chat/completions"))
                    .timeout(ALL_DONE_WITHIN)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            responses.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()));
        }
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(ALL_DONE_WITHIN.toSeconds(), TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < REQUESTS; i++) {
            HttpResponse<byte[]> response = responses.get(i).get();
            String outcome = check(response, i % 5 != 0);
            outcomes.merge(outcome, 1, Integer::sum);
        }
        assertThat(outcomes).as("outcomes in %s ms", took.toMillis())
                .containsKeys("200 stream", "200 json", "500 upstream", "502 upstream_error", "504 upstream_timeout");
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(REQUESTS);
    }

    /** Checks one answer and names its kind. */
    private static String check(HttpResponse<byte[]> response, boolean shimmed) throws IOException {
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (response.statusCode() == 200 && shimmed) {
            assertThat(type).startsWith("text/event-stream");
            StreamContract.assertConforms(response.body(), false);
            assertThat(accumulate(response.body()).choices().get(0).message().toolCalls().orElseThrow())
                    .singleElement().satisfies(call -> assertThat(call.asFunction().function().name()).isEqualTo("get_weather"));
            return "200 stream";
        }
        assertThat(type).as("status %d", response.statusCode()).startsWith("application/json");
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() == 200) {
            assertThat(body.path("choices").path(0).path("message").isObject()).isTrue();
            return "200 json";
        }
        JsonNode error = body.path("error");
        assertThat(error.path("message").isTextual()).as(body.toString()).isTrue();
        assertThat(error.path("type").isTextual()).as(body.toString()).isTrue();
        if (response.statusCode() == 500) {
            assertThat(body).as("the model server's own error, as it came").isEqualTo(JSON.readTree(SERVER_ERROR));
            return "500 upstream";
        }
        assertThat(response.statusCode()).as(body.toString()).isIn(502, 504);
        assertThat(error.path("code").isTextual()).as(body.toString()).isTrue();
        return response.statusCode() + " " + error.path("type").asText();
    }

    /** Reads the stream the way openai-java does: each event a ChatCompletionChunk, accumulated. */
    private static ChatCompletion accumulate(byte[] stream) throws IOException {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        for (String event : new String(stream, StandardCharsets.UTF_8).split("\n\n")) {
            if (event.startsWith("data: ") && !event.equals("data: [DONE]")) {
                accumulator.accumulate(ObjectMappers.jsonMapper().readValue(event.substring(6), ChatCompletionChunk.class));
            }
        }
        return accumulator.chatCompletion();
    }

    private static void flap(Flap flap, Response response, Callback callback) {
        Scheduler scheduler = response.getRequest().getComponents().getScheduler();
        switch (flap) {
            case ANSWER -> answer(response, callback, 200, TOOL_CALL);
            case ANSWER_LATE -> scheduler.schedule(() -> answer(response, callback, 200, TOOL_CALL), 300, TimeUnit.MILLISECONDS);
            case SERVER_ERROR -> answer(response, callback, 500, SERVER_ERROR);
            case DROP_CONNECTION -> {
                response.getRequest().getConnectionMetaData().getConnection().getEndPoint().close();
                callback.failed(new IOException("dropped on purpose"));
            }
            case CUT_SHORT -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, TOOL_CALL.length);
                response.write(false, ByteBuffer.wrap(TOOL_CALL, 0, TOOL_CALL.length / 2), Callback.from(() -> {
                    response.getRequest().getConnectionMetaData().getConnection().getEndPoint().close();
                    callback.failed(new IOException("cut short on purpose"));
                }, callback::failed));
            }
            case SILENT -> scheduler.schedule(() -> answer(response, callback, 200, TOOL_CALL),
                    REQUEST_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        }
    }

    private static void answer(Response response, Callback callback, int status, byte[] json) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.write(true, ByteBuffer.wrap(json), callback);
    }
}
