package dev.llamashim.core;

import java.util.Map;
import java.util.Objects;

/**
 * One choice of a chat completion.
 *
 * @param index the choice's index ({@code n > 1} gives several)
 * @param message the assistant message
 * @param finishReason why generation stopped, or {@code null} when the response did not say
 *     (the synthesizer then sends {@code tool_calls} if there are tool calls, else {@code stop})
 * @param logprobs the choice's {@code logprobs} object, or {@code null}
 * @param extras fields of the choice this type does not name, sent in the choice's last chunk
 */
public record Choice(
        int index,
        Message message,
        String finishReason,
        RawJson logprobs,
        Map<String, RawJson> extras) {

    /** Checks the message and takes an unmodifiable copy of the extras. */
    public Choice {
        Objects.requireNonNull(message, "message");
        extras = Extras.copyOf(extras);
    }

    /** The finish reason to stream: the response's, else {@code tool_calls} or {@code stop}. */
    public String effectiveFinishReason() {
        if (finishReason != null) {
            return finishReason;
        }
        return message.toolCalls().isEmpty() ? "stop" : "tool_calls";
    }
}
