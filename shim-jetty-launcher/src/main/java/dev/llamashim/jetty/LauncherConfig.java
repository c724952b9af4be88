package dev.llamashim.jetty;

import dev.llamashim.core.TextToolCalls;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.ShimConfigException;
import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.SimulateWhen;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Everything the launcher is told, one component per {@code config.yaml} key (see {@link ConfigKeys}
 * for each key's meaning and default). Read one with {@link ConfigLoader}, or build one with {@link #builder()}.
 *
 * @param listenHost {@code listen_host}
 * @param proxyPort {@code proxy_port}; 0 picks a free port
 * @param targetUrl {@code target_url}, without a trailing slash
 * @param verifySsl {@code verify_ssl}
 * @param streamingChunkSize {@code streaming_chunk_size}
 * @param requestTimeout {@code request_timeout}
 * @param logLevel {@code log_level}
 * @param mode {@code mode}
 * @param simulateWhen {@code simulate_when}
 * @param textToolCalls {@code text_tool_calls}
 * @param normalizeNonStream {@code normalize_non_stream}
 * @param chatPaths {@code chat_paths}
 * @param maxBodyBytes {@code max_body_bytes}
 * @param maxResponseBytes {@code max_response_bytes}
 * @param heartbeatSeconds {@code heartbeat_seconds}; {@link Duration#ZERO} for none
 * @param maxThreads {@code max_threads}
 * @param maxUpstreamConnections {@code max_upstream_connections}
 * @param maxUpstreamQueue {@code max_upstream_queue}
 * @param upstreamIdleTimeout {@code upstream_idle_timeout}
 * @param metrics {@code metrics}
 * @param captureDir {@code capture_dir}, an absolute path, or {@code ""} for no capture
 * @param captureWhen {@code capture_when}
 * @param captureMaxRequests {@code capture_max_requests}
 * @param captureMaxBytes {@code capture_max_bytes}
 */
public record LauncherConfig(
        String listenHost,
        int proxyPort,
        URI targetUrl,
        TlsVerification verifySsl,
        int streamingChunkSize,
        Duration requestTimeout,
        LogLevel logLevel,
        Mode mode,
        SimulateWhen simulateWhen,
        TextToolCalls textToolCalls,
        boolean normalizeNonStream,
        List<String> chatPaths,
        long maxBodyBytes,
        long maxResponseBytes,
        Duration heartbeatSeconds,
        int maxThreads,
        int maxUpstreamConnections,
        int maxUpstreamQueue,
        Duration upstreamIdleTimeout,
        boolean metrics,
        String captureDir,
        CaptureWhen captureWhen,
        int captureMaxRequests,
        long captureMaxBytes) {

    /** Checks every value; a bad one throws {@link LauncherException} (exit code 2) naming its key. */
    public LauncherConfig {
        ConfigKeys.LISTEN_HOST.check(listenHost);
        ConfigKeys.PROXY_PORT.check(proxyPort);
        ConfigKeys.TARGET_URL.check(targetUrl);
        ConfigKeys.VERIFY_SSL.check(verifySsl);
        ConfigKeys.STREAMING_CHUNK_SIZE.check(streamingChunkSize);
        ConfigKeys.REQUEST_TIMEOUT.check(requestTimeout);
        ConfigKeys.LOG_LEVEL.check(logLevel);
        ConfigKeys.MODE.check(mode);
        ConfigKeys.SIMULATE_WHEN.check(simulateWhen);
        ConfigKeys.TEXT_TOOL_CALLS.check(textToolCalls);
        chatPaths = List.copyOf(ConfigKeys.CHAT_PATHS.check(chatPaths));
        ConfigKeys.MAX_BODY_BYTES.check(maxBodyBytes);
        ConfigKeys.MAX_RESPONSE_BYTES.check(maxResponseBytes);
        ConfigKeys.HEARTBEAT_SECONDS.check(heartbeatSeconds);
        ConfigKeys.MAX_THREADS.check(maxThreads);
        ConfigKeys.MAX_UPSTREAM_CONNECTIONS.check(maxUpstreamConnections);
        ConfigKeys.MAX_UPSTREAM_QUEUE.check(maxUpstreamQueue);
        ConfigKeys.UPSTREAM_IDLE_TIMEOUT.check(upstreamIdleTimeout);
        ConfigKeys.CAPTURE_DIR.check(captureDir);
        ConfigKeys.CAPTURE_WHEN.check(captureWhen);
        ConfigKeys.CAPTURE_MAX_REQUESTS.check(captureMaxRequests);
        ConfigKeys.CAPTURE_MAX_BYTES.check(captureMaxBytes);
    }

    /** Every key at its default: listen on 127.0.0.1:8066, forward to http://127.0.0.1:8080. */
    public static LauncherConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The part of this configuration that {@link dev.llamashim.servlet.ToolStreamFilter} takes. */
    public ShimSettings shimSettings() {
        try {
            return ShimSettings.builder()
                    .mode(mode)
                    .chunkSize(streamingChunkSize)
                    .simulateWhen(simulateWhen)
                    .chatPaths(chatPaths)
                    .maxBodyBytes(maxBodyBytes)
                    .maxResponseBytes(maxResponseBytes)
                    .heartbeat(heartbeatSeconds)
                    .textToolCalls(textToolCalls)
                    .normalizeNonStream(normalizeNonStream)
                    .build();
        } catch (ShimConfigException e) {
            throw LauncherException.config(e.getMessage(), e);
        }
    }

    /** Builds a {@link LauncherConfig}; {@link #build()} checks every value. */
    public static final class Builder {
        private String listenHost = ConfigKeys.LISTEN_HOST.defaultValue();
        private int proxyPort = ConfigKeys.PROXY_PORT.defaultValue();
        private URI targetUrl = ConfigKeys.TARGET_URL.defaultValue();
        private TlsVerification verifySsl = ConfigKeys.VERIFY_SSL.defaultValue();
        private int streamingChunkSize = ConfigKeys.STREAMING_CHUNK_SIZE.defaultValue();
        private Duration requestTimeout = ConfigKeys.REQUEST_TIMEOUT.defaultValue();
        private LogLevel logLevel = ConfigKeys.LOG_LEVEL.defaultValue();
        private Mode mode = ConfigKeys.MODE.defaultValue();
        private SimulateWhen simulateWhen = ConfigKeys.SIMULATE_WHEN.defaultValue();
        private TextToolCalls textToolCalls = ConfigKeys.TEXT_TOOL_CALLS.defaultValue();
        private boolean normalizeNonStream = ConfigKeys.NORMALIZE_NON_STREAM.defaultValue();
        private List<String> chatPaths = ConfigKeys.CHAT_PATHS.defaultValue();
        private long maxBodyBytes = ConfigKeys.MAX_BODY_BYTES.defaultValue();
        private long maxResponseBytes = ConfigKeys.MAX_RESPONSE_BYTES.defaultValue();
        private Duration heartbeatSeconds = ConfigKeys.HEARTBEAT_SECONDS.defaultValue();
        private int maxThreads = ConfigKeys.MAX_THREADS.defaultValue();
        private int maxUpstreamConnections = ConfigKeys.MAX_UPSTREAM_CONNECTIONS.defaultValue();
        private int maxUpstreamQueue = ConfigKeys.MAX_UPSTREAM_QUEUE.defaultValue();
        private Duration upstreamIdleTimeout = ConfigKeys.UPSTREAM_IDLE_TIMEOUT.defaultValue();
        private boolean metrics = ConfigKeys.METRICS.defaultValue();
        private String captureDir = ConfigKeys.CAPTURE_DIR.defaultValue();
        private CaptureWhen captureWhen = ConfigKeys.CAPTURE_WHEN.defaultValue();
        private int captureMaxRequests = ConfigKeys.CAPTURE_MAX_REQUESTS.defaultValue();
        private long captureMaxBytes = ConfigKeys.CAPTURE_MAX_BYTES.defaultValue();

        private Builder() {}

        /** {@code listen_host}. */
        public Builder listenHost(String listenHost) {
            this.listenHost = listenHost;
            return this;
        }

        /** {@code proxy_port}; 0 picks a free port. */
        public Builder proxyPort(int proxyPort) {
            this.proxyPort = proxyPort;
            return this;
        }

        /** {@code target_url}. */
        public Builder targetUrl(URI targetUrl) {
            this.targetUrl = targetUrl;
            return this;
        }

        /** {@code verify_ssl}. */
        public Builder verifySsl(TlsVerification verifySsl) {
            this.verifySsl = verifySsl;
            return this;
        }

        /** {@code streaming_chunk_size}. */
        public Builder streamingChunkSize(int streamingChunkSize) {
            this.streamingChunkSize = streamingChunkSize;
            return this;
        }

        /** {@code request_timeout}. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        /** {@code log_level}. */
        public Builder logLevel(LogLevel logLevel) {
            this.logLevel = logLevel;
            return this;
        }

        /** {@code mode}. */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /** {@code simulate_when}. */
        public Builder simulateWhen(SimulateWhen simulateWhen) {
            this.simulateWhen = simulateWhen;
            return this;
        }

        /** {@code text_tool_calls}. */
        public Builder textToolCalls(TextToolCalls textToolCalls) {
            this.textToolCalls = textToolCalls;
            return this;
        }

        /** {@code normalize_non_stream}. */
        public Builder normalizeNonStream(boolean normalizeNonStream) {
            this.normalizeNonStream = normalizeNonStream;
            return this;
        }

        /** {@code chat_paths}. */
        public Builder chatPaths(List<String> chatPaths) {
            this.chatPaths = chatPaths;
            return this;
        }

        /** {@code max_body_bytes}. */
        public Builder maxBodyBytes(long maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /** {@code max_response_bytes}. */
        public Builder maxResponseBytes(long maxResponseBytes) {
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /** {@code heartbeat_seconds}; {@link Duration#ZERO} for none. */
        public Builder heartbeatSeconds(Duration heartbeatSeconds) {
            this.heartbeatSeconds = heartbeatSeconds;
            return this;
        }

        /** {@code max_threads}. */
        public Builder maxThreads(int maxThreads) {
            this.maxThreads = maxThreads;
            return this;
        }

        /** {@code max_upstream_connections}. */
        public Builder maxUpstreamConnections(int maxUpstreamConnections) {
            this.maxUpstreamConnections = maxUpstreamConnections;
            return this;
        }

        /** {@code max_upstream_queue}. */
        public Builder maxUpstreamQueue(int maxUpstreamQueue) {
            this.maxUpstreamQueue = maxUpstreamQueue;
            return this;
        }

        /** {@code upstream_idle_timeout}. */
        public Builder upstreamIdleTimeout(Duration upstreamIdleTimeout) {
            this.upstreamIdleTimeout = upstreamIdleTimeout;
            return this;
        }

        /** {@code metrics}. */
        public Builder metrics(boolean metrics) {
            this.metrics = metrics;
            return this;
        }

        /** {@code capture_dir}; {@code ""} for no capture. */
        public Builder captureDir(String captureDir) {
            this.captureDir = captureDir;
            return this;
        }

        /** {@code capture_when}. */
        public Builder captureWhen(CaptureWhen captureWhen) {
            this.captureWhen = captureWhen;
            return this;
        }

        /** {@code capture_max_requests}. */
        public Builder captureMaxRequests(int captureMaxRequests) {
            this.captureMaxRequests = captureMaxRequests;
            return this;
        }

        /** {@code capture_max_bytes}. */
        public Builder captureMaxBytes(long captureMaxBytes) {
            this.captureMaxBytes = captureMaxBytes;
            return this;
        }

        /** The configuration, checked. */
        public LauncherConfig build() {
            return new LauncherConfig(listenHost, proxyPort, targetUrl, verifySsl, streamingChunkSize, requestTimeout,
                    logLevel, mode, simulateWhen, textToolCalls, normalizeNonStream, chatPaths, maxBodyBytes,
                    maxResponseBytes, heartbeatSeconds, maxThreads, maxUpstreamConnections, maxUpstreamQueue, upstreamIdleTimeout,
                    metrics,
                    captureDir, captureWhen, captureMaxRequests, captureMaxBytes);
        }
    }
}
