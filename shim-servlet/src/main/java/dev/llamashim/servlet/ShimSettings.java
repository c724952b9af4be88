package dev.llamashim.servlet;

import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.ShimException;
import dev.llamashim.core.TextToolCalls;
import jakarta.servlet.FilterConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Everything {@link ToolStreamFilter} can be told, immutable. Built with {@link #builder()} or read
 * from a filter's init-params ({@code mode}, {@code chunk-size}, {@code simulate-when},
 * {@code chat-paths}, {@code max-body-bytes}, {@code max-response-bytes}, {@code heartbeat-seconds},
 * {@code text-tool-calls}, {@code normalize-non-stream}).
 *
 * @param mode synthesize a stream from one JSON answer, repair the model server's own stream, or
 *     choose per model server ({@code auto}); default {@code synthesize}
 * @param chunking how content and arguments are cut into deltas (default: 50 code points)
 * @param simulateWhen which {@code stream:true} chat requests are shimmed (default {@code tools})
 * @param chatPaths path suffixes that mark a chat request (default {@code /chat/completions});
 *     a request is a chat request when its URI path ends with one of them
 * @param maxBodyBytes largest chat request body the filter reads to decide (default 16 MiB);
 *     a larger one is answered 413 and never reaches the forwarder
 * @param maxResponseBytes largest forwarder answer the filter holds for a shimmed request
 *     (default 64 MiB); a larger one is answered 502. A stream being repaired is not held.
 * @param heartbeat how long a shimmed request may wait for the model before the filter starts
 *     the stream and sends a {@code : keep-alive} comment, and then again after each such
 *     interval (default 15 s; {@link Duration#ZERO} turns heartbeats off). Heartbeats keep
 *     idle timeouts of clients and reverse proxies from cutting a long generation, and let the
 *     container notice a client that went away. Once the stream has started, an error answer
 *     arrives as an in-stream {@code data: {"error":…}} event followed by {@code [DONE]}.
 * @param textToolCalls whether calls of declared tools that the model wrote as text, in its
 *     family's markup, become real {@code tool_calls} (default {@link TextToolCalls#EXTRACT})
 * @param normalizeNonStream whether the JSON answer to a {@code stream:false} chat request that
 *     declared tools gets the same repairs and extraction as a stream (default {@code false}:
 *     such requests pass untouched)
 */
public record ShimSettings(
        Mode mode,
        ChunkingPolicy chunking,
        SimulateWhen simulateWhen,
        List<String> chatPaths,
        long maxBodyBytes,
        long maxResponseBytes,
        Duration heartbeat,
        TextToolCalls textToolCalls,
        boolean normalizeNonStream) {

    /** The default chat path suffix, which matches {@code /v1/chat/completions} and {@code /chat/completions}. */
    public static final String DEFAULT_CHAT_PATH = "/chat/completions";
    /** Default {@link #maxBodyBytes()}: 16 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;
    /** Default {@link #maxResponseBytes()}: 64 MiB. */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 64L * 1024 * 1024;
    /** Default {@link #heartbeat()}: 15 seconds, well inside common 30–60 s idle timeouts. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);

    /** Checks every setting; a bad one throws {@link ShimConfigException} naming it. */
    public ShimSettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(chunking, "chunking");
        Objects.requireNonNull(simulateWhen, "simulateWhen");
        chatPaths = List.copyOf(chatPaths);
        if (chatPaths.isEmpty()) {
            throw new ShimConfigException("chat-paths must name at least one path suffix");
        }
        for (String path : chatPaths) {
            if (path.isBlank() || !path.startsWith("/")) {
                throw new ShimConfigException("chat-paths entries must start with \"/\", got \"" + path + "\"");
            }
        }
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8) {
            throw new ShimConfigException("max-body-bytes must be between 1 and " + (Integer.MAX_VALUE - 8) + ", got " + maxBodyBytes);
        }
        if (maxResponseBytes < 1 || maxResponseBytes > Integer.MAX_VALUE - 8) {
            throw new ShimConfigException("max-response-bytes must be between 1 and " + (Integer.MAX_VALUE - 8) + ", got " + maxResponseBytes);
        }
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (heartbeat.isNegative()) {
            throw new ShimConfigException("heartbeat-seconds must be 0 (off) or more, got " + heartbeat.toSeconds());
        }
        Objects.requireNonNull(textToolCalls, "textToolCalls");
    }

    /** Whether heartbeats are on. */
    public boolean heartbeats() {
        return !heartbeat.isZero();
    }

    /**
     * The defaults: {@code synthesize}, 50 code points a piece, {@code tools}, {@code /chat/completions},
     * 16 MiB, 64 MiB, 15 s, {@code extract}, non-streaming requests untouched.
     */
    public static ShimSettings defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code path} (a request URI path) names a chat completions endpoint. */
    public boolean isChatPath(String path) {
        for (String suffix : chatPaths) {
            if (path.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads init-params; absent ones keep their defaults.
     *
     * @throws ShimConfigException naming the init-param that is malformed
     */
    public static ShimSettings fromInitParams(FilterConfig config) {
        return fromParams(config::getInitParameter);
    }

    /** Reads settings by their init-param names from any source (a map, system properties…). */
    public static ShimSettings fromParams(Function<String, String> params) {
        Builder builder = builder();
        String mode = params.apply("mode");
        if (mode != null) {
            builder.mode(Mode.parse(mode));
        }
        String chunkSize = params.apply("chunk-size");
        if (chunkSize != null) {
            builder.chunkSize((int) parseLong("chunk-size", chunkSize));
        }
        String simulateWhen = params.apply("simulate-when");
        if (simulateWhen != null) {
            builder.simulateWhen(SimulateWhen.parse(simulateWhen));
        }
        String chatPaths = params.apply("chat-paths");
        if (chatPaths != null) {
            List<String> paths = new ArrayList<>();
            for (String path : chatPaths.split(",")) {
                if (!path.isBlank()) {
                    paths.add(path.trim());
                }
            }
            builder.chatPaths(paths);
        }
        String maxBody = params.apply("max-body-bytes");
        if (maxBody != null) {
            builder.maxBodyBytes(parseLong("max-body-bytes", maxBody));
        }
        String maxResponse = params.apply("max-response-bytes");
        if (maxResponse != null) {
            builder.maxResponseBytes(parseLong("max-response-bytes", maxResponse));
        }
        String heartbeat = params.apply("heartbeat-seconds");
        if (heartbeat != null) {
            builder.heartbeat(Duration.ofSeconds(parseLong("heartbeat-seconds", heartbeat)));
        }
        String textToolCalls = params.apply("text-tool-calls");
        if (textToolCalls != null) {
            builder.textToolCalls(parseTextToolCalls(textToolCalls));
        }
        String normalize = params.apply("normalize-non-stream");
        if (normalize != null) {
            builder.normalizeNonStream(parseBoolean("normalize-non-stream", normalize));
        }
        return builder.build();
    }

    /**
     * Reads {@code extract} or {@code off}, in any case.
     *
     * @throws ShimConfigException for any other value, naming the ones accepted
     */
    public static TextToolCalls parseTextToolCalls(String value) {
        String normalized = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "extract" -> TextToolCalls.EXTRACT;
            case "off" -> TextToolCalls.OFF;
            default -> throw new ShimConfigException("text-tool-calls must be \"extract\" or \"off\", got \"" + value + "\"");
        };
    }

    /** The spelling of {@code value} in config files and init-params: {@code extract} or {@code off}. */
    public static String spell(TextToolCalls value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    private static boolean parseBoolean(String name, String value) {
        String normalized = value.trim().toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ShimConfigException(name + " must be \"true\" or \"false\", got \"" + value + "\"");
        };
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new ShimConfigException(name + " must be a whole number, got \"" + value + "\"", e);
        }
    }

    /** Builds {@link ShimSettings}; every setter checks nothing, {@link #build()} checks all. */
    public static final class Builder {
        private Mode mode = Mode.SYNTHESIZE;
        private ChunkingPolicy chunking = ChunkingPolicy.defaults();
        private SimulateWhen simulateWhen = SimulateWhen.TOOLS;
        private List<String> chatPaths = List.of(DEFAULT_CHAT_PATH);
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private Duration heartbeat = DEFAULT_HEARTBEAT;
        private TextToolCalls textToolCalls = TextToolCalls.EXTRACT;
        private boolean normalizeNonStream;

        private Builder() {}

        /** Synthesize, repair, or choose per model server. */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /** Pieces of at most {@code codePoints} code points (the prototype's {@code streaming_chunk_size}). */
        public Builder chunkSize(int codePoints) {
            try {
                this.chunking = ChunkingPolicy.byCodePoints(codePoints);
            } catch (ShimException e) {
                throw new ShimConfigException("chunk-size must be at least 1, got " + codePoints, e);
            }
            return this;
        }

        /** Any chunking policy, e.g. {@link ChunkingPolicy#whole()}. */
        public Builder chunking(ChunkingPolicy chunking) {
            this.chunking = chunking;
            return this;
        }

        /** Which {@code stream:true} chat requests are shimmed. */
        public Builder simulateWhen(SimulateWhen simulateWhen) {
            this.simulateWhen = simulateWhen;
            return this;
        }

        /** Path suffixes that mark a chat request. */
        public Builder chatPaths(List<String> chatPaths) {
            this.chatPaths = chatPaths;
            return this;
        }

        /** Largest chat request body read to decide; larger ones get 413. */
        public Builder maxBodyBytes(long maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /** Largest forwarder answer held for a shimmed request; larger ones get 502. */
        public Builder maxResponseBytes(long maxResponseBytes) {
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /** Wait before the first heartbeat and between heartbeats; {@link Duration#ZERO} for none. */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /** Whether tool calls written as text are turned into real ones ({@code extract}) or left as text ({@code off}). */
        public Builder textToolCalls(TextToolCalls textToolCalls) {
            this.textToolCalls = textToolCalls;
            return this;
        }

        /** Whether JSON answers to {@code stream:false} requests with tools are repaired too. */
        public Builder normalizeNonStream(boolean normalizeNonStream) {
            this.normalizeNonStream = normalizeNonStream;
            return this;
        }

        /** The settings, checked. */
        public ShimSettings build() {
            return new ShimSettings(mode, chunking, simulateWhen, chatPaths, maxBodyBytes, maxResponseBytes, heartbeat,
                    textToolCalls, normalizeNonStream);
        }
    }
}
