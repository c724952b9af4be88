package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line: informational flags exit 0, configuration errors exit 2, start failures exit 1. */
class CliTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void helpListsEveryKeyWithItsFlagVariableAndDefault() {
        assertThat(run(Map.of(), "--help")).isZero();

        for (ConfigKey<?> key : ConfigKeys.ALL) {
            assertThat(out()).contains(key.name(), key.flag(), key.envName());
        }
        assertThat(out()).contains("default 8066", "default 600", "Exit codes: 0 ok; 1 could not start", "2 configuration error");
        assertThat(err()).isEmpty();
    }

    @Test
    void helpWinsEvenNextToAMistypedFlag() {
        assertThat(run(Map.of(), "--proxy-prot", "1", "-h")).isZero();
        assertThat(out()).startsWith("Usage: java -jar llamashim.jar");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        assertThat(run(Map.of(), "--version")).isZero();

        assertThat(out()).isEqualTo("llamashim " + Version.current() + System.lineSeparator());
        assertThat(Version.current()).isNotEqualTo("unknown").doesNotContain("${");
    }

    @Test
    void checkConfigPrintsEveryValueWithItsSource() throws IOException {
        Path file = Files.writeString(dir.resolve("config.yaml"), "# prototype\nproxy_port: 1234\nlog_level: WARNING\n");

        int code = run(Map.of("LLAMASHIM_TARGET_URL", "http://10.0.0.5:8080", "LLAMASHIM_LOG_LEVEL", "error"),
                "--check-config", "--streaming-chunk-size", "9");

        assertThat(code).isZero();
        assertThat(out()).contains("# config file: " + file.toAbsolutePath());
        assertThat(line("proxy_port")).matches("proxy_port: 1234 +# file " + regex(file.toAbsolutePath() + " line 2"));
        assertThat(line("log_level")).matches("log_level: ERROR +# env LLAMASHIM_LOG_LEVEL");
        assertThat(line("target_url")).matches("target_url: http://10.0.0.5:8080 +# env LLAMASHIM_TARGET_URL");
        assertThat(line("streaming_chunk_size")).matches("streaming_chunk_size: 9 +# flag --streaming-chunk-size");
        assertThat(line("listen_host")).matches("listen_host: 127.0.0.1 +# default");
        assertThat(line("chat_paths")).matches("chat_paths: \\[/chat/completions\\] +# default");
    }

    @Test
    void checkConfigOutputIsItselfAConfigFileWithTheSameValues() throws IOException {
        assertThat(run(Map.of("LLAMASHIM_CHAT_PATHS", "/a,/b"), "--check-config", "--request-timeout", "2.5")).isZero();
        Path copy = Files.writeString(dir.resolve("copy.yaml"), out());

        LauncherConfig reloaded = ConfigLoader.load(new String[] {"--config", copy.toString()}, Map.of(), dir).config();

        assertThat(reloaded).isEqualTo(ConfigLoader.load(new String[] {"--request-timeout", "2.5"},
                Map.of("LLAMASHIM_CHAT_PATHS", "/a,/b"), dir).config());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown key       | proxy_port: 1\\nproxy_prot: 2\\n        | unknown key "proxy_prot" in file {file} line 2 (did you mean proxy_port?); the keys are listen_host, proxy_port, target_url, verify_ssl, streaming_chunk_size, request_timeout, log_level, mode, simulate_when, text_tool_calls, normalize_non_stream, chat_paths, max_body_bytes, max_response_bytes, heartbeat_seconds, max_threads, max_upstream_connections, max_upstream_queue, upstream_idle_timeout, metrics, capture_dir, capture_when, capture_max_requests, capture_max_bytes
            wrong type        | request_timeout: soon\\n                | request_timeout from file {file} line 1: expected a number of seconds greater than 0, such as 600 or 2.5, got "soon"
            bad url           | \\ntarget_url: localhost:8080\\n         | target_url from file {file} line 2: expected an http:// or https:// URL without query, such as http://127.0.0.1:8080, got "localhost:8080"
            missing CA file   | verify_ssl: /nowhere/ca.pem\\n          | verify_ssl from file {file} line 1: expected true, false, or the path of a PEM file of CA certificates, but the CA file /nowhere/ca.pem does not exist
            wrong log level   | log_level: 3\\n                         | log_level from file {file} line 1: expected DEBUG, INFO, WARNING or ERROR (any case), got 3
            """)
    void configFileErrorsExitWithTwoAndNameKeyLineAndExpectation(String what, String yaml, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("config.yaml"), yaml.replace("\\n", "\n"));

        int code = run(Map.of());

        assertThat(code).as(what).isEqualTo(2);
        assertThat(err()).isEqualTo("llamashim: configuration error: " + message.replace("{file}", file.toAbsolutePath().toString())
                + System.lineSeparator());
        assertThat(out()).isEmpty();
    }

    @Test
    void environmentAndFlagErrorsExitWithTwoToo() {
        assertThat(run(Map.of("LLAMASHIM_PROXY_PORT", "http"))).isEqualTo(2);
        assertThat(err()).contains("proxy_port from env LLAMASHIM_PROXY_PORT: expected a whole number");
        err.reset();
        assertThat(run(Map.of(), "--target-url", "ftp://x")).isEqualTo(2);
        assertThat(err()).contains("target_url from flag --target-url: expected an http:// or https:// URL");
        err.reset();
        assertThat(run(Map.of(), "--config", "missing.yaml")).isEqualTo(2);
        assertThat(err()).contains("missing.yaml (from flag --config) does not exist");
        err.reset();
        assertThat(run(Map.of(), "--check-config", "--verbose", "yes")).isEqualTo(2);
        assertThat(err()).contains("unknown flag --verbose");
    }

    @Test
    void aPortInUseExitsWithOne() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int code = run(Map.of(), "--proxy-port", Integer.toString(taken.getLocalPort()));

            assertThat(code).isEqualTo(1);
            assertThat(err()).startsWith("llamashim: cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    private int run(Map<String, String> env, String... args) {
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new Cli(outStream, errStream, env, dir).run(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String line(String key) {
        return out().lines().filter(l -> l.startsWith(key + ":")).findFirst().orElseThrow();
    }

    private static String regex(String literal) {
        return java.util.regex.Pattern.quote(literal);
    }
}
