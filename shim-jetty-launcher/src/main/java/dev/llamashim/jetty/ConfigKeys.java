package dev.llamashim.jetty;

import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.TextToolCalls;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.ShimConfigException;
import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.SimulateWhen;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting the launcher reads, in {@code config.yaml} order: the prototype's six keys
 * ({@code proxy_port}, {@code target_url}, {@code verify_ssl}, {@code streaming_chunk_size},
 * {@code request_timeout}, {@code log_level}) and llamashim's own.
 */
public final class ConfigKeys {

    /** Largest byte limit {@link ShimSettings} accepts (it holds bodies in one array). */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Interface to listen on; the Docker image sets {@code 0.0.0.0}. */
    public static final ConfigKey<String> LISTEN_HOST = new ConfigKey<>(
            "listen_host", "a host name or IP address to listen on, such as 127.0.0.1 or 0.0.0.0",
            "127.0.0.1", ConfigKeys::string, host -> !host.isBlank() && host.chars().noneMatch(Character::isWhitespace),
            LauncherConfig::listenHost, LauncherConfig.Builder::listenHost, host -> host);

    /** Port to listen on; 0 picks a free one (the start log names it). */
    public static final ConfigKey<Integer> PROXY_PORT = new ConfigKey<>(
            "proxy_port", "a whole number from 0 to 65535 (0 picks a free port)",
            8066, raw -> (int) wholeNumber(raw, 0, 65535), port -> port >= 0 && port <= 65535,
            LauncherConfig::proxyPort, LauncherConfig.Builder::proxyPort, String::valueOf);

    /** The model server every request is forwarded to. */
    public static final ConfigKey<URI> TARGET_URL = new ConfigKey<>(
            "target_url", "an http:// or https:// URL without query, such as http://127.0.0.1:8080",
            URI.create("http://127.0.0.1:8080"), ConfigKeys::targetUrl, ConfigKeys::isTargetUrl,
            LauncherConfig::targetUrl, LauncherConfig.Builder::targetUrl, URI::toString);

    /** How the upstream's TLS certificate is checked. */
    public static final ConfigKey<TlsVerification> VERIFY_SSL = new ConfigKey<>(
            "verify_ssl", "true, false, or the path of a PEM file of CA certificates",
            TlsVerification.verify(), ConfigKeys::verifySsl, tls -> true,
            LauncherConfig::verifySsl, LauncherConfig.Builder::verifySsl, TlsVerification::toString);

    /** Code points per synthesized content or arguments piece. */
    public static final ConfigKey<Integer> STREAMING_CHUNK_SIZE = new ConfigKey<>(
            "streaming_chunk_size", "a whole number of at least 1",
            ChunkingPolicy.DEFAULT_SIZE, raw -> (int) wholeNumber(raw, 1, Integer.MAX_VALUE), size -> size >= 1,
            LauncherConfig::streamingChunkSize, LauncherConfig.Builder::streamingChunkSize, String::valueOf);

    /**
     * Longest wait, in seconds, for the upstream to say something: the first byte of its answer,
     * or the next byte of a stream. 600 leaves room for a slow local model writing a long answer
     * that is sent in one piece (every shimmed request is), while a hung upstream still ends in a 504.
     */
    public static final ConfigKey<Duration> REQUEST_TIMEOUT = new ConfigKey<>(
            "request_timeout", "a number of seconds greater than 0, such as 600 or 2.5",
            Duration.ofSeconds(600), raw -> seconds(raw, "0.001"), timeout -> !timeout.isNegative() && !timeout.isZero(),
            LauncherConfig::requestTimeout, LauncherConfig.Builder::requestTimeout, ConfigKeys::printSeconds);

    /** Root log level. */
    public static final ConfigKey<LogLevel> LOG_LEVEL = new ConfigKey<>(
            "log_level", "DEBUG, INFO, WARNING or ERROR (any case)",
            LogLevel.INFO, raw -> LogLevel.parse(string(raw)), level -> true,
            LauncherConfig::logLevel, LauncherConfig.Builder::logLevel, LogLevel::configName);

    /**
     * How a shimmed request is streamed: {@code synthesize} (ask the model server for one JSON
     * answer), {@code repair} (mend its own stream), or {@code auto} (repair where it streams,
     * synthesize where it refuses).
     */
    public static final ConfigKey<Mode> MODE = new ConfigKey<>(
            "mode", "synthesize, repair or auto",
            Mode.SYNTHESIZE, ConfigKeys::mode, mode -> true,
            LauncherConfig::mode, LauncherConfig.Builder::mode, Mode::toString);

    /** Which {@code stream:true} chat requests are shimmed. */
    public static final ConfigKey<SimulateWhen> SIMULATE_WHEN = new ConfigKey<>(
            "simulate_when", "tools or always",
            SimulateWhen.TOOLS, ConfigKeys::simulateWhen, when -> true,
            LauncherConfig::simulateWhen, LauncherConfig.Builder::simulateWhen, SimulateWhen::toString);

    /**
     * Whether calls of declared tools that the model wrote as text (in {@code content} or
     * {@code reasoning_content}, in its family's markup) become real {@code tool_calls}. YAML reads
     * a bare {@code off} as a boolean; it is taken as {@code off}.
     */
    public static final ConfigKey<TextToolCalls> TEXT_TOOL_CALLS = new ConfigKey<>(
            "text_tool_calls", "extract or off",
            TextToolCalls.EXTRACT, ConfigKeys::textToolCalls, value -> true,
            LauncherConfig::textToolCalls, LauncherConfig.Builder::textToolCalls, ShimSettings::spell);

    /**
     * Whether the JSON answer to a {@code stream:false} chat request that declared tools gets the
     * same repairs and extraction as a stream; {@code false} leaves such answers untouched.
     */
    public static final ConfigKey<Boolean> NORMALIZE_NON_STREAM = new ConfigKey<>(
            "normalize_non_stream", "true or false",
            false, ConfigKeys::bool, value -> true,
            LauncherConfig::normalizeNonStream, LauncherConfig.Builder::normalizeNonStream, String::valueOf);

    /** Path suffixes that mark a chat completions request. */
    public static final ConfigKey<List<String>> CHAT_PATHS = new ConfigKey<>(
            "chat_paths", "a list of path suffixes that start with /, such as [/chat/completions]",
            List.of(ShimSettings.DEFAULT_CHAT_PATH), ConfigKeys::chatPaths, ConfigKeys::areChatPaths,
            LauncherConfig::chatPaths, LauncherConfig.Builder::chatPaths, paths -> "[" + String.join(", ", paths) + "]");

    /** Largest chat request body the shim reads to decide; larger ones get 413. */
    public static final ConfigKey<Long> MAX_BODY_BYTES = new ConfigKey<>(
            "max_body_bytes", "a whole number of bytes from 1 to " + MAX_BYTES,
            ShimSettings.DEFAULT_MAX_BODY_BYTES, raw -> wholeNumber(raw, 1, MAX_BYTES), bytes -> bytes >= 1 && bytes <= MAX_BYTES,
            LauncherConfig::maxBodyBytes, LauncherConfig.Builder::maxBodyBytes, String::valueOf);

    /** Largest upstream answer the shim holds for a shimmed request; larger ones get 502. */
    public static final ConfigKey<Long> MAX_RESPONSE_BYTES = new ConfigKey<>(
            "max_response_bytes", "a whole number of bytes from 1 to " + MAX_BYTES,
            ShimSettings.DEFAULT_MAX_RESPONSE_BYTES, raw -> wholeNumber(raw, 1, MAX_BYTES), bytes -> bytes >= 1 && bytes <= MAX_BYTES,
            LauncherConfig::maxResponseBytes, LauncherConfig.Builder::maxResponseBytes, String::valueOf);

    /**
     * Seconds a shimmed request may wait for the model before the stream starts with
     * {@code : keep-alive} comments, repeated each interval; 0 turns heartbeats off.
     */
    public static final ConfigKey<Duration> HEARTBEAT_SECONDS = new ConfigKey<>(
            "heartbeat_seconds", "0 (off) or a number of seconds, such as 15 or 2.5",
            ShimSettings.DEFAULT_HEARTBEAT, raw -> seconds(raw, "0"), beat -> !beat.isNegative(),
            LauncherConfig::heartbeatSeconds, LauncherConfig.Builder::heartbeatSeconds, ConfigKeys::printSeconds);

    /**
     * Most worker threads the launcher runs (Jetty's pool, shared with its selectors and the proxy's
     * HTTP client). No thread waits while the model works, so a few per core carry any number of
     * waiting requests; the pool grows only while tasks queue for a CPU.
     */
    public static final ConfigKey<Integer> MAX_THREADS = new ConfigKey<>(
            "max_threads", "a whole number from 8 to 10000",
            32, raw -> (int) wholeNumber(raw, 8, 10_000), threads -> threads >= 8 && threads <= 10_000,
            LauncherConfig::maxThreads, LauncherConfig.Builder::maxThreads, String::valueOf);

    /**
     * Most connections open to {@code target_url} at once; each request being answered holds one.
     * Jetty's own default of 256 capped a 200 ms upstream at 1,280 requests a second (BENCHMARKS.md).
     */
    public static final ConfigKey<Integer> MAX_UPSTREAM_CONNECTIONS = new ConfigKey<>(
            "max_upstream_connections", "a whole number from 1 to 1000000",
            1024, raw -> (int) wholeNumber(raw, 1, 1_000_000), connections -> connections >= 1 && connections <= 1_000_000,
            LauncherConfig::maxUpstreamConnections, LauncherConfig.Builder::maxUpstreamConnections, String::valueOf);

    /**
     * Most requests waiting for a free upstream connection; one more gets 502 at once. A waiting
     * request holds no thread, only its few kilobytes.
     */
    public static final ConfigKey<Integer> MAX_UPSTREAM_QUEUE = new ConfigKey<>(
            "max_upstream_queue", "a whole number from 1 to 1000000",
            16_384, raw -> (int) wholeNumber(raw, 1, 1_000_000), queued -> queued >= 1 && queued <= 1_000_000,
            LauncherConfig::maxUpstreamQueue, LauncherConfig.Builder::maxUpstreamQueue, String::valueOf);

    /**
     * Seconds an upstream connection is kept open without a request, for the next one to reuse.
     * It must be shorter than the model server's own idle limit (llama-server closes a connection
     * after 5 s without a request): a request sent on a connection the server is closing at that
     * moment never reaches it and gets 502.
     */
    public static final ConfigKey<Duration> UPSTREAM_IDLE_TIMEOUT = new ConfigKey<>(
            "upstream_idle_timeout", "a number of seconds greater than 0, such as 4 or 2.5",
            Duration.ofSeconds(4), raw -> seconds(raw, "0.001"), idle -> !idle.isNegative() && !idle.isZero(),
            LauncherConfig::upstreamIdleTimeout, LauncherConfig.Builder::upstreamIdleTimeout, ConfigKeys::printSeconds);

    /** Whether the launcher serves Prometheus metrics at {@value MetricsServlet#PATH}. */
    public static final ConfigKey<Boolean> METRICS = new ConfigKey<>(
            "metrics", "true or false",
            true, ConfigKeys::bool, on -> true,
            LauncherConfig::metrics, LauncherConfig.Builder::metrics, String::valueOf);

    /**
     * Directory where requests are captured for bug reports (the model server's raw answer and what
     * the client received, never a header); empty turns capture off. A relative path is resolved
     * against the config file's directory (the working directory for env and flags).
     */
    public static final ConfigKey<String> CAPTURE_DIR = new ConfigKey<>(
            "capture_dir", "a directory path, or \"\" for no capture",
            "", ConfigKeys::directory, dir -> true,
            LauncherConfig::captureDir, LauncherConfig.Builder::captureDir, dir -> dir.isEmpty() ? "\"\"" : dir);

    /** Which requests {@code capture_dir} keeps. */
    public static final ConfigKey<CaptureWhen> CAPTURE_WHEN = new ConfigKey<>(
            "capture_when", "errors, repaired or all",
            CaptureWhen.ERRORS, ConfigKeys::captureWhen, when -> true,
            LauncherConfig::captureWhen, LauncherConfig.Builder::captureWhen, CaptureWhen::toString);

    /** Most requests kept in {@code capture_dir}; the oldest go first. */
    public static final ConfigKey<Integer> CAPTURE_MAX_REQUESTS = new ConfigKey<>(
            "capture_max_requests", "a whole number from 1 to 100000",
            100, raw -> (int) wholeNumber(raw, 1, 100_000), count -> count >= 1 && count <= 100_000,
            LauncherConfig::captureMaxRequests, LauncherConfig.Builder::captureMaxRequests, String::valueOf);

    /** Most bytes kept in {@code capture_dir} in all; the oldest requests go first. */
    public static final ConfigKey<Long> CAPTURE_MAX_BYTES = new ConfigKey<>(
            "capture_max_bytes", "a whole number of bytes from 65536 to " + MAX_BYTES,
            64L * 1024 * 1024, raw -> wholeNumber(raw, 65_536, MAX_BYTES), bytes -> bytes >= 65_536 && bytes <= MAX_BYTES,
            LauncherConfig::captureMaxBytes, LauncherConfig.Builder::captureMaxBytes, String::valueOf);

    /** All keys, in the order {@code --help}, {@code --check-config} and {@code config.yaml.example} list them. */
    public static final List<ConfigKey<?>> ALL = List.of(
            LISTEN_HOST, PROXY_PORT, TARGET_URL, VERIFY_SSL, STREAMING_CHUNK_SIZE, REQUEST_TIMEOUT, LOG_LEVEL,
            MODE, SIMULATE_WHEN, TEXT_TOOL_CALLS, NORMALIZE_NON_STREAM, CHAT_PATHS, MAX_BODY_BYTES, MAX_RESPONSE_BYTES,
            HEARTBEAT_SECONDS, MAX_THREADS, MAX_UPSTREAM_CONNECTIONS, MAX_UPSTREAM_QUEUE, UPSTREAM_IDLE_TIMEOUT,
            METRICS, CAPTURE_DIR, CAPTURE_WHEN, CAPTURE_MAX_REQUESTS, CAPTURE_MAX_BYTES);

    private ConfigKeys() {}

    /** The key named {@code name} in {@code config.yaml}. */
    public static Optional<ConfigKey<?>> byName(String name) {
        return ALL.stream().filter(key -> key.name().equals(name)).findFirst();
    }

    /** The key whose flag is {@code flag}, e.g. {@code --proxy-port}. */
    public static Optional<ConfigKey<?>> byFlag(String flag) {
        return ALL.stream().filter(key -> key.flag().equals(flag)).findFirst();
    }

    /** The key whose environment variable is {@code variable}. */
    public static Optional<ConfigKey<?>> byEnvName(String variable) {
        return ALL.stream().filter(key -> key.envName().equals(variable)).findFirst();
    }

    private static String string(RawValue raw) {
        if (raw.shape() != RawValue.Shape.TEXT) {
            throw raw.wrong();
        }
        return raw.text().trim();
    }

    private static long wholeNumber(RawValue raw, long min, long max) {
        if (raw.shape() != RawValue.Shape.TEXT && raw.shape() != RawValue.Shape.NUMBER) {
            throw raw.wrong();
        }
        long value;
        try {
            value = Long.parseLong(raw.text().trim());
        } catch (NumberFormatException e) {
            throw raw.wrong();
        }
        if (value < min || value > max) {
            throw raw.wrong();
        }
        return value;
    }

    private static Duration seconds(RawValue raw, String least) {
        if (raw.shape() != RawValue.Shape.TEXT && raw.shape() != RawValue.Shape.NUMBER) {
            throw raw.wrong();
        }
        BigDecimal seconds;
        try {
            seconds = new BigDecimal(raw.text().trim());
        } catch (NumberFormatException e) {
            throw raw.wrong();
        }
        // A millisecond is the finest the HTTP client's timeouts go; a day is far past any sane wait.
        if (seconds.compareTo(new BigDecimal(least)) < 0 || seconds.compareTo(BigDecimal.valueOf(86_400)) > 0) {
            throw new IllegalArgumentException("got " + raw.describe() + " (at least " + least + ", at most 86400)");
        }
        return Duration.ofMillis(seconds.movePointRight(3).longValue());
    }

    private static String printSeconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis()).movePointLeft(3).stripTrailingZeros().toPlainString();
    }

    private static URI targetUrl(RawValue raw) {
        String text = string(raw);
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("got " + raw.describe() + " (" + e.getReason() + ")");
        }
        if (uri.getUserInfo() != null) {
            // Credentials in the URL would end up in the start log; llama-server takes an API key header instead.
            throw new IllegalArgumentException("got a URL with user:password@ in it, which llamashim does not send");
        }
        URI normalized;
        try {
            String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            normalized = new URI(scheme + "://" + uri.getRawAuthority() + path);
        } catch (URISyntaxException e) {
            throw raw.wrong();
        }
        if (!isTargetUrl(normalized) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw raw.wrong();
        }
        return normalized;
    }

    private static boolean isTargetUrl(URI uri) {
        return uri.isAbsolute()
                && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                && uri.getHost() != null
                && uri.getRawQuery() == null
                && uri.getRawFragment() == null
                && uri.getRawUserInfo() == null
                && (uri.getRawPath() == null || !uri.getRawPath().endsWith("/"));
    }

    private static TlsVerification verifySsl(RawValue raw) {
        if (raw.shape() != RawValue.Shape.TEXT && raw.shape() != RawValue.Shape.BOOLEAN) {
            throw raw.wrong();
        }
        String text = raw.text().trim();
        if (text.equalsIgnoreCase("true")) {
            return TlsVerification.verify();
        }
        if (text.equalsIgnoreCase("false")) {
            return TlsVerification.trustAll();
        }
        if (text.isEmpty()) {
            throw raw.wrong();
        }
        Path file;
        try {
            file = raw.baseDir().resolve(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw raw.wrong();
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("but the CA file " + file + " does not exist");
        }
        try {
            PemTrustStore.load(file);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("but " + file + " holds no readable PEM certificate (" + e.getMessage() + ")");
        }
        return TlsVerification.caBundle(file);
    }

    private static boolean bool(RawValue raw) {
        if (raw.shape() != RawValue.Shape.TEXT && raw.shape() != RawValue.Shape.BOOLEAN) {
            throw raw.wrong();
        }
        String text = raw.text().trim();
        if (text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw raw.wrong();
    }

    private static String directory(RawValue raw) {
        if (raw.shape() == RawValue.Shape.NULL) {
            return "";
        }
        String text = string(raw);
        if (text.isEmpty()) {
            return "";
        }
        try {
            return raw.baseDir().resolve(text).toAbsolutePath().normalize().toString();
        } catch (InvalidPathException e) {
            throw raw.wrong();
        }
    }

    private static CaptureWhen captureWhen(RawValue raw) {
        CaptureWhen when = CaptureWhen.parse(string(raw));
        if (when == null) {
            throw raw.wrong();
        }
        return when;
    }

    private static Mode mode(RawValue raw) {
        try {
            return Mode.parse(string(raw));
        } catch (ShimConfigException e) {
            throw raw.wrong();
        }
    }

    private static SimulateWhen simulateWhen(RawValue raw) {
        String text = string(raw);
        try {
            return SimulateWhen.parse(text);
        } catch (ShimConfigException e) {
            throw raw.wrong();
        }
    }

    private static TextToolCalls textToolCalls(RawValue raw) {
        if (raw.shape() == RawValue.Shape.BOOLEAN && raw.text().equals("false")) {
            return TextToolCalls.OFF; // A bare off (or no, false) in YAML.
        }
        try {
            return ShimSettings.parseTextToolCalls(string(raw));
        } catch (ShimConfigException e) {
            throw raw.wrong();
        }
    }

    private static List<String> chatPaths(RawValue raw) {
        List<String> paths = new ArrayList<>();
        if (raw.shape() == RawValue.Shape.LIST) {
            for (String item : raw.items()) {
                paths.add(item.trim());
            }
        } else {
            for (String item : string(raw).split(",")) {
                if (!item.isBlank()) {
                    paths.add(item.trim());
                }
            }
        }
        if (!areChatPaths(paths)) {
            throw new IllegalArgumentException("got " + (raw.shape() == RawValue.Shape.LIST ? paths.toString() : raw.describe()));
        }
        return List.copyOf(paths);
    }

    private static boolean areChatPaths(List<String> paths) {
        return !paths.isEmpty() && paths.stream().allMatch(path -> path.startsWith("/") && path.chars().noneMatch(Character::isWhitespace));
    }
}
