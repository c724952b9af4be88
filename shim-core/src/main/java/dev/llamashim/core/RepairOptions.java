package dev.llamashim.core;

import java.util.Objects;

/**
 * What a repair needs to know about the client's request.
 *
 * @param includeUsage whether the request had {@code stream_options.include_usage:true}
 * @param tools the tools the request declared (names, schemas, a forced function)
 * @param textToolCalls whether tool calls written as text are extracted
 */
public record RepairOptions(boolean includeUsage, DeclaredTools tools, TextToolCalls textToolCalls) {

    /** Checks that nothing is null. */
    public RepairOptions {
        Objects.requireNonNull(tools, "tools");
        Objects.requireNonNull(textToolCalls, "textToolCalls");
    }

    /** Options for a request that declared no tools. */
    public static RepairOptions of(boolean includeUsage) {
        return new RepairOptions(includeUsage, DeclaredTools.NONE, TextToolCalls.EXTRACT);
    }
}
