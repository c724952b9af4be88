package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.core.TextToolCalls;
import dev.llamashim.jetty.testing.TestCertificate;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.SimulateWhen;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void noFileNoEnvNoFlagsMeansDefaults() {
        EffectiveConfig effective = ConfigLoader.load(new String[0], Map.of(), dir);

        assertThat(effective.config()).isEqualTo(LauncherConfig.defaults());
        assertThat(effective.configFile()).isEmpty();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            assertThat(effective.sourceOf(key)).isEqualTo(ConfigSource.builtIn());
        }
    }

    @Test
    void defaultsAreThePrototypesWhereItHadThem() {
        LauncherConfig defaults = LauncherConfig.defaults();

        assertThat(defaults.listenHost()).isEqualTo("127.0.0.1");
        assertThat(defaults.proxyPort()).isEqualTo(8066);
        assertThat(defaults.targetUrl()).isEqualTo(URI.create("http://127.0.0.1:8080"));
        assertThat(defaults.verifySsl()).isEqualTo(TlsVerification.verify());
        assertThat(defaults.streamingChunkSize()).isEqualTo(50);
        assertThat(defaults.requestTimeout()).isEqualTo(Duration.ofSeconds(600));
        assertThat(defaults.logLevel()).isEqualTo(LogLevel.INFO);
        assertThat(defaults.simulateWhen()).isEqualTo(SimulateWhen.TOOLS);
        assertThat(defaults.chatPaths()).containsExactly("/chat/completions");
    }

    @Test
    void prototypeConfigCopiedVerbatimIsReadFromTheWorkingDirectory() throws IOException {
        copyResource("/config/prototype-config.yaml", dir.resolve("config.yaml"));

        EffectiveConfig effective = ConfigLoader.load(new String[0], Map.of(), dir);

        LauncherConfig config = effective.config();
        assertThat(config.proxyPort()).isEqualTo(8066);
        assertThat(config.targetUrl()).isEqualTo(URI.create("http://localhost:8080"));
        assertThat(config.verifySsl()).isEqualTo(TlsVerification.trustAll());
        assertThat(config.streamingChunkSize()).isEqualTo(50);
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(config.logLevel()).isEqualTo(LogLevel.INFO);
        Path file = dir.resolve("config.yaml").toAbsolutePath();
        assertThat(effective.configFile()).contains(file);
        assertThat(effective.sourceOf(ConfigKeys.PROXY_PORT)).isEqualTo(ConfigSource.file(file, 4));
        assertThat(effective.sourceOf(ConfigKeys.LOG_LEVEL)).isEqualTo(ConfigSource.file(file, 19));
        assertThat(effective.sourceOf(ConfigKeys.LISTEN_HOST)).isEqualTo(ConfigSource.builtIn());
    }

    @Test
    void pythonLogLevelsAreAcceptedInAnyCase() throws IOException {
        for (String spelled : List.of("WARNING", "warning", "Warning", "WARN")) {
            write("log_level: " + spelled + "\n");
            assertThat(load().config().logLevel()).as(spelled).isEqualTo(LogLevel.WARN);
        }
        write("log_level: debug\n");
        assertThat(load().config().logLevel()).isEqualTo(LogLevel.DEBUG);
        write("log_level: \"ERROR\"\n");
        assertThat(load().config().logLevel()).isEqualTo(LogLevel.ERROR);
    }

    @Test
    void fileIsOverriddenByEnvironmentWhichIsOverriddenByFlags() throws IOException {
        write("proxy_port: 1001\nstreaming_chunk_size: 7\nrequest_timeout: 12\n");
        Map<String, String> env = Map.of("LLAMASHIM_PROXY_PORT", "2002", "LLAMASHIM_STREAMING_CHUNK_SIZE", "8");

        EffectiveConfig effective = ConfigLoader.load(new String[] {"--proxy-port", "3003"}, env, dir);

        assertThat(effective.config().proxyPort()).isEqualTo(3003);
        assertThat(effective.sourceOf(ConfigKeys.PROXY_PORT)).isEqualTo(ConfigSource.flag("--proxy-port"));
        assertThat(effective.config().streamingChunkSize()).isEqualTo(8);
        assertThat(effective.sourceOf(ConfigKeys.STREAMING_CHUNK_SIZE)).isEqualTo(ConfigSource.env("LLAMASHIM_STREAMING_CHUNK_SIZE"));
        assertThat(effective.config().requestTimeout()).isEqualTo(Duration.ofSeconds(12));
        assertThat(effective.sourceOf(ConfigKeys.REQUEST_TIMEOUT).kind()).isEqualTo(ConfigSource.Kind.FILE);
    }

    @Test
    void everyKeyHasAnEnvironmentVariableAndAFlag() {
        Map<String, String> env = Map.of(
                "LLAMASHIM_LISTEN_HOST", "0.0.0.0",
                "LLAMASHIM_TARGET_URL", "https://models.example:8443/llama/",
                "LLAMASHIM_VERIFY_SSL", "FALSE",
                "LLAMASHIM_REQUEST_TIMEOUT", "2.5",
                "LLAMASHIM_LOG_LEVEL", "warning",
                "LLAMASHIM_SIMULATE_WHEN", "always",
                "LLAMASHIM_CHAT_PATHS", "/chat/completions, /v1/chat",
                "LLAMASHIM_MAX_BODY_BYTES", "1000",
                "LLAMASHIM_MAX_RESPONSE_BYTES", "2000",
                "LLAMASHIM_HEARTBEAT_SECONDS", "0");

        LauncherConfig config = ConfigLoader.load(new String[] {"--streaming-chunk-size=3", "--proxy-port", "0", "--mode", "Auto",
                "--max-threads=16", "--max-upstream-connections", "4", "--max-upstream-queue=5", "--upstream-idle-timeout", "1.5",
                "--text-tool-calls=OFF", "--normalize-non-stream", "true", "--capture-when", "Repaired", "--metrics=FALSE",
                "--capture-dir", "captures", "--capture-max-requests=7", "--capture-max-bytes", "70000"}, env, dir).config();

        assertThat(config).isEqualTo(new LauncherConfig("0.0.0.0", 0, URI.create("https://models.example:8443/llama"),
                TlsVerification.trustAll(), 3, Duration.ofMillis(2500), LogLevel.WARN, Mode.AUTO, SimulateWhen.ALWAYS,
                TextToolCalls.OFF, true, List.of("/chat/completions", "/v1/chat"), 1000, 2000, Duration.ZERO, 16, 4, 5,
                Duration.ofMillis(1500), false, dir.resolve("captures").toAbsolutePath().normalize().toString(), CaptureWhen.REPAIRED, 7, 70000));
    }

    @Test
    void textToolCallsAndNormalizeNonStreamReadFromTheFileIncludingABareOff() throws IOException {
        assertThat(load().config().textToolCalls()).isEqualTo(TextToolCalls.EXTRACT);
        assertThat(load().config().normalizeNonStream()).isFalse();
        for (String spelled : List.of("off", "Off", "\"off\"", "no", "false")) {
            write("text_tool_calls: " + spelled + "\nnormalize_non_stream: yes\n");
            assertThat(load().config().textToolCalls()).as(spelled).isEqualTo(TextToolCalls.OFF);
            assertThat(load().config().normalizeNonStream()).as(spelled).isTrue();
        }
        write("text_tool_calls: Extract\nnormalize_non_stream: false\n");
        assertThat(load().config().textToolCalls()).isEqualTo(TextToolCalls.EXTRACT);
        assertThat(load().config().normalizeNonStream()).isFalse();
        assertThat(load().config().shimSettings().textToolCalls()).isEqualTo(TextToolCalls.EXTRACT);
    }

    @Test
    void wrongTextToolCallsAndNormalizeNonStreamValuesNameTheKeyAndWhatIsAccepted() throws IOException {
        write("text_tool_calls: on\n");
        assertThatThrownBy(this::load).isInstanceOf(LauncherException.class)
                .hasMessage("text_tool_calls from file " + dir.resolve("config.yaml").toAbsolutePath()
                        + " line 1: expected extract or off, got true");
        Files.delete(dir.resolve("config.yaml"));
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--text-tool-calls", "strip"}, Map.of(), dir))
                .hasMessage("text_tool_calls from flag --text-tool-calls: expected extract or off, got \"strip\"");
        assertThatThrownBy(() -> ConfigLoader.load(new String[0], Map.of("LLAMASHIM_NORMALIZE_NON_STREAM", "1"), dir))
                .hasMessage("normalize_non_stream from env LLAMASHIM_NORMALIZE_NON_STREAM: expected true or false, got \"1\"");
    }

    @Test
    void emptyEnvironmentVariablesCountAsUnset() {
        LauncherConfig config = ConfigLoader.load(new String[0], Map.of("LLAMASHIM_PROXY_PORT", ""), dir).config();

        assertThat(config.proxyPort()).isEqualTo(8066);
    }

    @Test
    void configFlagNamesTheFileAndBeatsTheEnvironmentsAndTheWorkingDirectorysFile() throws IOException {
        write("proxy_port: 1111\n");
        Path other = Files.writeString(dir.resolve("other.yaml"), "proxy_port: 2222\n");
        Path fromEnv = Files.writeString(dir.resolve("env.yaml"), "proxy_port: 3333\n");

        assertThat(ConfigLoader.load(new String[] {"--config", "other.yaml"}, Map.of("LLAMASHIM_CONFIG", fromEnv.toString()), dir)
                .config().proxyPort()).isEqualTo(2222);
        assertThat(ConfigLoader.load(new String[0], Map.of("LLAMASHIM_CONFIG", fromEnv.toString()), dir)
                .config().proxyPort()).isEqualTo(3333);
        assertThat(ConfigLoader.load(new String[0], Map.of(), dir).configFile()).contains(dir.resolve("config.yaml"));
        assertThat(other).exists();
    }

    @Test
    void yamlListsAndYamlBooleansAreRead() throws IOException {
        write("chat_paths:\n  - /chat/completions\n  - /api/chat\nverify_ssl: no\nrequest_timeout: 0.5\n");

        LauncherConfig config = load().config();

        assertThat(config.chatPaths()).containsExactly("/chat/completions", "/api/chat");
        assertThat(config.verifySsl()).isEqualTo(TlsVerification.trustAll());
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aRelativeCaBundleInTheFileIsFoundNextToTheFileNotInTheWorkingDirectory() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.copy(TestCertificate.generate(dir).pem(), etc.resolve("ca.pem"));
        Files.writeString(etc.resolve("config.yaml"), "verify_ssl: ca.pem\n");

        LauncherConfig config = ConfigLoader.load(new String[] {"--config", "etc/config.yaml"}, Map.of(), dir).config();

        assertThat(dir.resolve("ca.pem")).doesNotExist();
        assertThat(config.verifySsl()).isEqualTo(TlsVerification.caBundle(etc.resolve("ca.pem").toAbsolutePath()));
    }

    @Test
    void anEmptyFileOrOneWithOnlyCommentsMeansDefaults() throws IOException {
        write("");
        assertThat(load().config()).isEqualTo(LauncherConfig.defaults());
        write("# nothing set here\n\n");
        assertThat(load().config()).isEqualTo(LauncherConfig.defaults());
    }

    // ---- errors: each names the key, where it came from (with the line for file keys) and what was expected

    @Test
    void anUnknownKeyNamesItsLineAndTheKeyItProbablyMeant() throws IOException {
        write("proxy_port: 8066\nproxy_prot: 9000\n");

        assertThatThrownBy(this::load)
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("unknown key \"proxy_prot\"")
                .hasMessageContaining(dir.resolve("config.yaml") + " line 2")
                .hasMessageContaining("did you mean proxy_port?")
                .satisfies(e -> assertThat(((LauncherException) e).exitCode()).isEqualTo(2));
    }

    @Test
    void aWrongTypeNamesKeyLineExpectationAndValue() throws IOException {
        write("# a comment\nproxy_port: eighty\n");

        assertThatThrownBy(this::load).isInstanceOf(LauncherException.class).hasMessage(
                "proxy_port from file " + dir.resolve("config.yaml") + " line 2: expected a whole number from 0 to 65535 "
                        + "(0 picks a free port), got \"eighty\"");
    }

    @Test
    void aListWhereOneValueBelongsIsAWrongType() throws IOException {
        write("streaming_chunk_size:\n  - 5\n");

        assertThatThrownBy(this::load).hasMessageContaining("streaming_chunk_size from file")
                .hasMessageContaining("line 1").hasMessageContaining("got a list");
    }

    @Test
    void outOfRangeNumbersAreRejected() throws IOException {
        write("proxy_port: 70000\n");
        assertThatThrownBy(this::load).hasMessageContaining("proxy_port").hasMessageContaining("got 70000");
        write("streaming_chunk_size: 0\n");
        assertThatThrownBy(this::load).hasMessageContaining("streaming_chunk_size").hasMessageContaining("at least 1");
        write("request_timeout: -1\n");
        assertThatThrownBy(this::load).hasMessageContaining("request_timeout").hasMessageContaining("got -1");
    }

    @Test
    void aBadUrlIsRejectedWithWhatWasExpected() throws IOException {
        for (String url : List.of("localhost:8080", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:8080/?a=b",
                "http://user:pw@127.0.0.1:8080")) {
            write("target_url: \"" + url + "\"\n");
            assertThatThrownBy(this::load).as(url)
                    .isInstanceOf(LauncherException.class)
                    .hasMessageStartingWith("target_url from file " + dir.resolve("config.yaml") + " line 1: expected an http:// or https:// URL");
        }
    }

    @Test
    void aMissingCaFileIsRejectedWithItsResolvedPath() throws IOException {
        write("\nverify_ssl: certs/missing.pem\n");

        assertThatThrownBy(this::load)
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("verify_ssl from file " + dir.resolve("config.yaml") + " line 2")
                .hasMessageContaining("the path of a PEM file of CA certificates")
                .hasMessageContaining(dir.resolve("certs/missing.pem").toString() + " does not exist");
    }

    @Test
    void aCaFileWithoutCertificatesIsRejected() throws IOException {
        Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");
        write("verify_ssl: ca.pem\n");

        assertThatThrownBy(this::load).hasMessageContaining("verify_ssl").hasMessageContaining("no readable PEM certificate");
    }

    @Test
    void anUnknownLogLevelIsRejected() throws IOException {
        write("log_level: LOUD\n");

        assertThatThrownBy(this::load).hasMessageContaining("log_level from file")
                .hasMessageContaining("expected DEBUG, INFO, WARNING or ERROR").hasMessageContaining("got \"LOUD\"");
    }

    @Test
    void anUnknownModeIsRejectedWithTheOnesAccepted() throws IOException {
        write("proxy_port: 0\nmode: stream\n");

        assertThatThrownBy(this::load).isInstanceOf(LauncherException.class).hasMessageContaining("mode from file")
                .hasMessageContaining("line 2").hasMessageContaining("expected synthesize, repair or auto")
                .hasMessageContaining("got \"stream\"");
    }

    @Test
    void invalidYamlNamesTheLine() throws IOException {
        write("proxy_port: 8066\ntarget_url: [unclosed\n");

        assertThatThrownBy(this::load).isInstanceOf(LauncherException.class)
                .hasMessageContaining("is not valid YAML").hasMessageContaining(" line ");
    }

    @Test
    void aRepeatedKeyNamesBothLines() throws IOException {
        write("proxy_port: 1\nlog_level: INFO\nproxy_port: 2\n");

        assertThatThrownBy(this::load).hasMessageContaining("proxy_port from file")
                .hasMessageContaining("line 3").hasMessageContaining("already set on line 1");
    }

    @Test
    void aTopLevelThatIsNoMappingIsRejected() throws IOException {
        write("- proxy_port: 1\n");

        assertThatThrownBy(this::load).hasMessageContaining("expected \"key: value\" lines");
    }

    @Test
    void environmentErrorsNameTheVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(new String[0], Map.of("LLAMASHIM_PROXY_PORT", "x"), dir))
                .hasMessage("proxy_port from env LLAMASHIM_PROXY_PORT: expected a whole number from 0 to 65535 "
                        + "(0 picks a free port), got \"x\"");
        assertThatThrownBy(() -> ConfigLoader.load(new String[0], Map.of("LLAMASHIM_PROXY_PROT", "1"), dir))
                .hasMessageContaining("unknown environment variable LLAMASHIM_PROXY_PROT")
                .hasMessageContaining("did you mean LLAMASHIM_PROXY_PORT?");
    }

    @Test
    void theProbesApiKeyVariableIsNoUnknownVariableForAStart() {
        LauncherConfig config = ConfigLoader.load(new String[0], Map.of(ProbeCommand.API_KEY_ENV, "sk-1"), dir).config();

        assertThat(config).isEqualTo(LauncherConfig.defaults());
    }

    @Test
    void flagErrorsNameTheFlag() {
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--verify-ssl", "/nope/ca.pem"}, Map.of(), dir))
                .hasMessageStartingWith("verify_ssl from flag --verify-ssl: expected true, false, or the path")
                .hasMessageContaining("/nope/ca.pem does not exist");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--proxy-prot", "1"}, Map.of(), dir))
                .hasMessageContaining("unknown flag --proxy-prot").hasMessageContaining("did you mean --proxy-port?");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--proxy-port"}, Map.of(), dir))
                .hasMessageContaining("flag --proxy-port needs a value");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"serve"}, Map.of(), dir))
                .hasMessageContaining("unexpected argument \"serve\"");
    }

    @Test
    void aNamedConfigFileThatDoesNotExistIsAnError() {
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--config", "nope.yaml"}, Map.of(), dir))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining(dir.resolve("nope.yaml") + " (from flag --config) does not exist");
        assertThatThrownBy(() -> ConfigLoader.load(new String[0], Map.of("LLAMASHIM_CONFIG", "/nope/c.yaml"), dir))
                .hasMessageContaining("(from env LLAMASHIM_CONFIG) does not exist");
    }

    @Test
    void programmaticConfigsAreCheckedWithTheKeysName() {
        assertThatThrownBy(() -> LauncherConfig.builder().proxyPort(-1).build())
                .isInstanceOf(LauncherException.class)
                .hasMessage("proxy_port: expected a whole number from 0 to 65535 (0 picks a free port), got -1");
        assertThatThrownBy(() -> LauncherConfig.builder().chatPaths(List.of("chat")).build())
                .hasMessageStartingWith("chat_paths: expected a list of path suffixes that start with /");
    }

    @Test
    void theRepositorysExampleConfigSetsEveryKeyToItsDefaultAndDocumentsItsVariableAndFlag() throws IOException {
        Path example = Path.of("..", "config.yaml.example").toAbsolutePath().normalize();
        String text = Files.readString(example);

        EffectiveConfig effective = ConfigLoader.load(new String[] {"--config", example.toString()}, Map.of(), dir);

        assertThat(effective.config()).isEqualTo(LauncherConfig.defaults());
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            assertThat(effective.sourceOf(key).kind()).as(key.name()).isEqualTo(ConfigSource.Kind.FILE);
            assertThat(text).as(key.name()).contains(key.envName()).contains(key.flag());
        }
    }

    private void write(String yaml) throws IOException {
        Files.writeString(dir.resolve("config.yaml"), yaml, StandardCharsets.UTF_8);
    }

    private EffectiveConfig load() {
        return ConfigLoader.load(new String[0], Map.of(), dir);
    }

    private static void copyResource(String resource, Path target) throws IOException {
        try (InputStream in = ConfigLoaderTest.class.getResourceAsStream(resource)) {
            Files.copy(in, target);
        }
    }
}
