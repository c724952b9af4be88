package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code probe} against fake model servers of each behaviour prints what the server did, the
 * mode that serves it and the config line, and exits 0 only when some mode works.
 */
class ProbeTest {

    @TempDir
    Path dir;

    private record Outcome(int exitCode, String out, String err) {}

    private Outcome probe(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("probe"));
        all.addAll(List.of(args));
        int code = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), dir).run(all.toArray(String[]::new));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Outcome probe(FakeLlamaServer server, String... args) {
        List<String> all = new ArrayList<>(List.of("--target-url", server.baseUri().toString()));
        all.addAll(List.of(args));
        return probe(all.toArray(String[]::new));
    }

    /** Streamed tool requests get {@code stream}; everything else as the new llama-server build answered. */
    private static Function<RecordedRequest, Reply> streamingToolsAs(Reply stream) {
        Function<RecordedRequest, Reply> llamaServer = Routes.llamaServer("new");
        return request -> request.method().equals("POST") && request.json().path("stream").asBoolean(false)
                && request.json().has("tools") ? stream : llamaServer.apply(request);
    }

    private static Reply eventStream(String... chunks) {
        StringBuilder body = new StringBuilder();
        for (String chunk : chunks) {
            body.append("data: ").append(chunk).append("\n\n");
        }
        body.append("data: [DONE]\n\n");
        return Reply.of(200, "text/event-stream", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aServerThatRefusesToStreamToolCallsGetsSynthesize() throws Exception {
        try (FakeLlamaServer server = FakeLlamaServer.start(Routes.llamaServer("old"))) {
            Outcome outcome = probe(server);

            assertThat(outcome.exitCode()).isZero();
            assertThat(outcome.out()).contains("refused to stream: answered 500: Cannot use tools with stream")
                    .contains("Recommended: mode synthesize")
                    .contains("Config: mode: synthesize");
        }
    }

    @Test
    void aServerThatStreamsToolCallsRightGetsAutoAndIsToldSo() throws Exception {
        try (FakeLlamaServer server = FakeLlamaServer.start(Routes.llamaServer("new"))) {
            Outcome outcome = probe(server);

            assertThat(outcome.exitCode()).isZero();
            assertThat(outcome.out()).contains("tools, stream:true + include_usage")
                    .contains("usage present")
                    .contains("Recommended: mode auto")
                    .contains("Config: mode: auto");
        }
    }

    @Test
    void aServerWhoseStreamNeedsMendingGetsAutoAndTheProbeSaysItWasRepaired() throws Exception {
        // Ollama-shaped: no index, arguments as an object, finish_reason stop on a tool call.
        Reply broken = eventStream(
                "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                        + "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},\"finish_reason\":null}]}",
                "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{},\"finish_reason\":\"tool_calls\"}]}");
        try (FakeLlamaServer server = FakeLlamaServer.start(streamingToolsAs(broken))) {
            Outcome outcome = probe(server, "--json");

            assertThat(outcome.exitCode()).isZero();
            JsonNode report = json(outcome.out());
            assertThat(report.path("recommended_mode").asText()).isEqualTo("auto");
            JsonNode stream = check(report, "tools, stream:true");
            assertThat(stream.path("repair_changed_answer").asBoolean()).isTrue();
            assertThat(stream.path("tool_calls").get(0).asText()).isEqualTo("get_weather");
            assertThat(report.path("why").asText()).contains("not as strict clients need them");
        }
    }

    @Test
    void aServerWhoseStreamLosesTheToolCallGetsSynthesize() throws Exception {
        Reply textOnly = eventStream("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"I will call get_weather.\"},"
                + "\"finish_reason\":\"stop\"}]}");
        try (FakeLlamaServer server = FakeLlamaServer.start(streamingToolsAs(textOnly))) {
            Outcome outcome = probe(server);

            assertThat(outcome.exitCode()).isZero();
            assertThat(outcome.out()).contains("no tool call").contains("Recommended: mode synthesize")
                    .contains("its stream carries no tool call even after repair");
        }
    }

    @Test
    @Disabled("needs issue 13's text extraction (TextToolCallExtractor, RepairReport): enable when it is merged")
    void toolCallsLeftAsHermesMarkupInContentAreFoundAndNamed() throws Exception {
        Reply markup = eventStream("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"<tool_call>\\n{\\\"name\\\": "
                + "\\\"get_weather\\\", \\\"arguments\\\": {\\\"city\\\": \\\"Paris\\\"}}\\n</tool_call>\"},\"finish_reason\":\"stop\"}]}");
        try (FakeLlamaServer server = FakeLlamaServer.start(streamingToolsAs(markup))) {
            Outcome outcome = probe(server, "--json");

            assertThat(outcome.exitCode()).isZero();
            JsonNode report = json(outcome.out());
            assertThat(report.path("recommended_mode").asText()).isEqualTo("auto");
            assertThat(check(report, "tools, stream:true").path("extracted").path("hermes").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aServerThatAnswersNoToolCallAnywhereIsNotUsable() throws Exception {
        Function<RecordedRequest, Reply> noTools = streamingToolsAs(eventStream("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Sunny.\"},\"finish_reason\":\"stop\"}]}"));
        Reply plainJson = Reply.json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Sunny.\"},\"finish_reason\":\"stop\"}]}");
        try (FakeLlamaServer server = FakeLlamaServer.start(request -> request.method().equals("POST")
                && !request.json().path("stream").asBoolean(false) ? plainJson : noTools.apply(request))) {
            Outcome outcome = probe(server);

            assertThat(outcome.exitCode()).isEqualTo(ProbeCommand.NOT_USABLE);
            assertThat(outcome.out()).contains("No mode of llamashim can serve streaming tool calls")
                    .contains("--jinja");
        }
    }

    @Test
    void anUnreachableServerIsSaidSoAndExitsNonZero() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Outcome outcome = probe("--target-url", "http://127.0.0.1:" + port);

        assertThat(outcome.exitCode()).isEqualTo(ProbeCommand.NOT_USABLE);
        assertThat(outcome.out()).contains("cannot reach http://127.0.0.1:" + port).contains("cannot connect");
    }

    @Test
    void aSilentServerEndsTheProbeAfterRequestTimeoutInsteadOfHanging() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (java.io.IOException e) {
                    // Closed at the end of the test.
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            Outcome outcome = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> probe("--target-url", "http://127.0.0.1:" + silent.getLocalPort(), "--request-timeout", "0.5"));

            assertThat(outcome.exitCode()).isEqualTo(ProbeCommand.NOT_USABLE);
            assertThat(outcome.out()).contains("no answer within request_timeout (0.5 s)")
                    .contains("not asked: an earlier request got no answer")
                    .contains("did not answer within request_timeout");
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    private static JsonNode json(String text) {
        try {
            return new ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static JsonNode check(JsonNode report, String name) {
        for (JsonNode check : report.path("checks")) {
            if (check.path("name").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("no check " + name + " in " + report);
    }
}
