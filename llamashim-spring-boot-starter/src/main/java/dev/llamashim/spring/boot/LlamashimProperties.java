package dev.llamashim.spring.boot;

import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.TextToolCalls;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.ShimConfigException;
import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.SimulateWhen;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DataSizeUnit;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.core.Ordered;
import org.springframework.util.unit.DataSize;
import org.springframework.util.unit.DataUnit;

/**
 * The {@code llamashim.*} properties: one per {@link ShimSettings} setting, named as the filter's
 * init-param, plus how the filter is registered. A value of the wrong type fails the binding;
 * one out of range fails {@link #toSettings()}; either stops the application naming the property.
 *
 * <p>Adding a filter setting: one component here (with its {@code @DefaultValue}, equal to the
 * builder's default) and one line in {@link #toSettings()}.
 *
 * @param enabled Whether llamashim's filter is registered.
 * @param mode How a shimmed request is streamed: synthesize (ask the model server for one JSON
 *     answer and stream it), repair (mend the model server's own stream) or auto (repair, and
 *     synthesize for model servers that refuse to stream tool calls).
 * @param chunkSize Code points per streamed content, reasoning or arguments piece (at least 1).
 * @param simulateWhen Which stream:true chat requests are shimmed: tools (those that declare
 *     tools or functions) or always.
 * @param chatPaths Path suffixes that mark a chat completions request.
 * @param maxBodyBytes Largest chat request body read to decide (a plain number is bytes); a
 *     larger one is answered 413.
 * @param maxResponseBytes Largest model answer held for a shimmed request (a plain number is
 *     bytes); a larger one is answered 502.
 * @param heartbeatSeconds Wait before a shimmed stream starts early with keep-alive comments, one
 *     per interval (a plain number is seconds; 0 turns them off).
 * @param textToolCalls Whether calls of declared tools that the model wrote as text, in its
 *     family's markup (Hermes, Qwen3-Coder, GLM, Mistral, Llama 3.x, Kimi K2, DeepSeek V3.1), in
 *     content or reasoning_content, become real tool calls: extract or off.
 * @param normalizeNonStream Whether the JSON answer to a stream:false chat request that declared
 *     tools gets the same repairs and text extraction as a stream (false: such requests pass
 *     untouched).
 * @param urlPatterns Servlet URL patterns the filter is mapped to; it only touches POSTs to a chat
 *     path among them.
 * @param filterOrder Position of the filter among the application's filters (lower runs
 *     earlier). The default puts it behind every filter that has an order, right in front of
 *     the servlet that forwards to the model server.
 */
@ConfigurationProperties("llamashim")
public record LlamashimProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("synthesize") Mode mode,
        @DefaultValue("" + ChunkingPolicy.DEFAULT_SIZE) int chunkSize,
        @DefaultValue("tools") SimulateWhen simulateWhen,
        @DefaultValue(ShimSettings.DEFAULT_CHAT_PATH) List<String> chatPaths,
        @DefaultValue("16MB") @DataSizeUnit(DataUnit.BYTES) DataSize maxBodyBytes,
        @DefaultValue("64MB") @DataSizeUnit(DataUnit.BYTES) DataSize maxResponseBytes,
        @DefaultValue("15") @DurationUnit(ChronoUnit.SECONDS) Duration heartbeatSeconds,
        @DefaultValue("extract") TextToolCalls textToolCalls,
        @DefaultValue("false") boolean normalizeNonStream,
        @DefaultValue("/*") List<String> urlPatterns,
        @DefaultValue("" + Ordered.LOWEST_PRECEDENCE) int filterOrder) {

    /**
     * The filter settings these properties describe.
     *
     * @throws ShimConfigException naming the property ({@code llamashim.chunk-size …}) that is out of range
     */
    public ShimSettings toSettings() {
        try {
            return ShimSettings.builder()
                    .mode(mode)
                    .chunkSize(chunkSize)
                    .simulateWhen(simulateWhen)
                    .chatPaths(chatPaths)
                    .maxBodyBytes(maxBodyBytes.toBytes())
                    .maxResponseBytes(maxResponseBytes.toBytes())
                    .heartbeat(heartbeatSeconds)
                    .textToolCalls(textToolCalls)
                    .normalizeNonStream(normalizeNonStream)
                    .build();
        } catch (ShimConfigException e) {
            // ShimSettings' messages start with the init-param's name, which is the property's name here.
            throw new ShimConfigException("llamashim." + e.getMessage(), e);
        }
    }
}
