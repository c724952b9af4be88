package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.BrokenCorpus.BrokenCase;
import dev.llamashim.jetty.testing.TestCertificate;
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
        return probe(Map.of(), args);
    }

    private Outcome probe(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("probe"));
        all.addAll(List.of(args));
        int code = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, dir).run(all.toArray(String[]::new));
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
    void aServerWhoseStreamNeedsMendingGetsAutoAndTheProbeNamesTheDefects() throws Exception {
        // mlx-openai-server: two calls, each in a delta of its own, without index or id.
        BrokenCase broken = BrokenCorpus.load("mlx-calls-without-index-or-id");
        try (FakeLlamaServer server = FakeLlamaServer.start(streamingToolsAs(
                Reply.of(200, "text/event-stream", broken.upstream())))) {
            Outcome outcome = probe(server, "--json");

            assertThat(outcome.exitCode()).isZero();
            JsonNode report = json(outcome.out());
            assertThat(report.path("recommended_mode").asText()).isEqualTo("auto");
            JsonNode stream = check(report, "tools, stream:true");
            assertThat(stream.path("repair_changed_answer").asBoolean()).isTrue();
            assertThat(stream.path("tool_calls")).extracting(JsonNode::asText).containsExactly("get_weather", "get_time");
            assertThat(stream.path("mended").path("missing_index").asInt()).isEqualTo(2);
            assertThat(stream.path("mended").path("missing_id").asInt()).isEqualTo(2);
            assertThat(report.path("why").asText()).contains("not as strict clients need them")
                    .contains("missing_id:2").contains("missing_index:2");
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

    @Test
    void anHttpsServerIsProbedWithTheTlsSettingsOfVerifySsl() throws Exception {
        TestCertificate certificate = TestCertificate.generate(dir);
        try (FakeLlamaServer server = FakeLlamaServer.startTls(certificate.keyStore(), certificate.password(),
                Routes.llamaServer("new"))) {
            Outcome untrusted = probe(server);
            Outcome withCaFile = probe(server, "--verify-ssl", certificate.pem().toString());
            Outcome unchecked = probe(server, "--verify-ssl", "false");

            assertThat(untrusted.exitCode()).isEqualTo(ProbeCommand.NOT_USABLE);
            assertThat(untrusted.out()).contains("TLS failed").contains("verify_ssl");
            assertThat(withCaFile.exitCode()).isZero();
            assertThat(withCaFile.out()).contains("Recommended: mode auto");
            assertThat(unchecked.exitCode()).isZero();
            assertThat(unchecked.out()).contains("Recommended: mode auto");
        }
    }

    @Test
    void anApiKeyIsSentWithEveryRequestAndNeverPrinted() throws Exception {
        String key = "sk-probe-SECRET-4711";
        Function<RecordedRequest, Reply> llamaServer = Routes.llamaServer("new");
        Reply unauthorized = Reply.json(401, "{\"error\":{\"message\":\"Invalid API Key\",\"type\":\"authentication_error\",\"code\":401}}");
        try (FakeLlamaServer server = FakeLlamaServer.start(request -> {
            String authorization = request.header("Authorization");
            if (authorization == null) {
                return unauthorized;
            }
            // A server that quotes the key it was sent back in its error.
            return authorization.equals("Bearer " + key) ? llamaServer.apply(request) : Reply.json(401,
                    "{\"error\":{\"message\":\"wrong key " + authorization.substring("Bearer ".length())
                            + "\",\"type\":\"authentication_error\"}}");
        })) {
            Outcome withoutKey = probe(server);
            Outcome fromEnv = probe(Map.of(ProbeCommand.API_KEY_ENV, key, ProbeCommand.OPENAI_API_KEY_ENV, "sk-other"),
                    "--target-url", server.baseUri().toString());
            Outcome fromFlag = probe(server, "--api-key", key, "--json");
            Outcome wrongKeyEchoed = probe(Map.of(ProbeCommand.OPENAI_API_KEY_ENV, "sk-wrong-" + key),
                    "--target-url", server.baseUri().toString());

            assertThat(withoutKey.exitCode()).isEqualTo(ProbeCommand.NOT_USABLE);
            assertThat(withoutKey.out()).contains("401: Invalid API Key (no API key was sent")
                    .contains("the server refused the probe's requests (401)");
            assertThat(fromEnv.exitCode()).isZero();
            assertThat(fromEnv.out()).contains(", with an API key").contains("Recommended: mode auto");
            assertThat(fromFlag.exitCode()).isZero();
            assertThat(json(fromFlag.out()).path("api_key_sent").asBoolean()).isTrue();
            assertThat(wrongKeyEchoed.out()).contains("wrong key ***");
            for (Outcome outcome : List.of(withoutKey, fromEnv, fromFlag, wrongKeyEchoed)) {
                assertThat(outcome.out() + outcome.err()).doesNotContain(key);
            }
            assertThat(server.requests()).filteredOn(request -> ("Bearer " + key).equals(request.header("Authorization")))
                    .as("six requests with the key from the environment, six with the flag's").hasSize(12);
        }
    }

    @Test
    void theWholeProbeStopsAtItsTotalTimeAndSaysHowLongItTook() throws Exception {
        Function<RecordedRequest, Reply> llamaServer = Routes.llamaServer("new");
        try (FakeLlamaServer server = FakeLlamaServer.start(request -> request.method().equals("POST")
                ? llamaServer.apply(request).after(Duration.ofSeconds(20)) : llamaServer.apply(request))) {
            Outcome outcome = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> probe(server, "--request-timeout", "30", "--total-timeout", "2"));

            // Cut while waiting for it, or not asked when the models request already took the time.
            assertThat(outcome.exitCode()).isEqualTo(ProbeCommand.NOT_USABLE);
            assertThat(outcome.out())
                    .containsPattern("tools, stream:false +(no answer|not asked): the probe's total time \\(2 s\\) was up")
                    .contains("no tools, stream:true + include_usage   not asked: the probe's total time (2 s) was up")
                    .containsPattern("took \\d+\\.\\d s of at most 2\\.0 s")
                    .contains("raise it (--total-timeout)");
        }
    }

    @Test
    void aBadTotalTimeoutIsAConfigurationError() {
        Outcome outcome = probe("--total-timeout", "soon");

        assertThat(outcome.exitCode()).as("configuration error").isEqualTo(2);
        assertThat(outcome.err()).contains("--total-timeout").contains("\"soon\"");
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
