package dev.llamashim.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The assistant message of one choice.
 *
 * @param role the message's role, {@code "assistant"} unless the response said otherwise
 * @param content the text, or {@code null} when the response had none ({@code ""} stays {@code ""})
 * @param reasoningContent llama-server's / DeepSeek's {@code reasoning_content}, or {@code null}
 * @param toolCalls the calls in order; empty when there are none
 * @param extras fields of the message this type does not name ({@code refusal},
 *     {@code annotations}, {@code function_call}, …), sent in the choice's first delta
 */
public record Message(
        String role,
        String content,
        String reasoningContent,
        List<ToolCall> toolCalls,
        Map<String, RawJson> extras) {

    /** Checks the role and takes unmodifiable copies of the collections. */
    public Message {
        Objects.requireNonNull(role, "role");
        toolCalls = List.copyOf(toolCalls == null ? List.of() : toolCalls);
        extras = Extras.copyOf(extras);
    }
}
