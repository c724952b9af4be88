package dev.llamashim.servlet.testing;

import dev.llamashim.core.TextToolCalls;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.ShimSettings;

/** The settings the broken-answer corpus is run through, end to end, by the filter and the launcher. */
public enum CorpusRun {
    /** {@code mode: repair}: stream cases come mended. */
    REPAIR(ShimSettings.builder().mode(Mode.REPAIR).build()),
    /** {@code mode: auto}: stream cases are repaired; JSON cases are synthesized after the model server refuses to stream. */
    AUTO(ShimSettings.builder().mode(Mode.AUTO).build()),
    /** The defaults ({@code mode: synthesize}, {@code normalize_non_stream: false}). */
    DEFAULTS(ShimSettings.defaults()),
    /** {@code mode: auto} with {@code text_tool_calls: off}. */
    TEXT_OFF(ShimSettings.builder().mode(Mode.AUTO).textToolCalls(TextToolCalls.OFF).build()),
    /** {@code normalize_non_stream: true}: JSON answers to {@code stream:false} requests with tools are repaired too. */
    NORMALIZE(ShimSettings.builder().normalizeNonStream(true).build());

    private final ShimSettings settings;

    CorpusRun(ShimSettings settings) {
        this.settings = settings;
    }

    /** The filter's settings for this run. */
    public ShimSettings settings() {
        return settings;
    }
}
