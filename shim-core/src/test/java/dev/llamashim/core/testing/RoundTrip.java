package dev.llamashim.core.testing;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.Choice;
import dev.llamashim.core.SseChunk;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamAccumulator;
import java.util.ArrayList;
import java.util.List;

/**
 * The two halves of the round-trip law (docs/STREAM-CONTRACT.md) for tests: what a stream accumulates to, and what
 * it must accumulate to.
 */
public final class RoundTrip {

    private RoundTrip() {}

    /** Parses an SSE byte stream and accumulates its chunks the way the OpenAI SDKs do. */
    public static ChatResponse accumulate(byte[] stream) {
        return accumulate(SseParser.parseAll(stream));
    }

    /** Accumulates events the way the OpenAI SDKs do. */
    public static ChatResponse accumulate(List<? extends SseChunk> events) {
        StreamAccumulator accumulator = new StreamAccumulator();
        events.forEach(accumulator::accept);
        return accumulator.toResponse();
    }

    /**
     * What accumulating the synthesized stream of {@code response} must give back: the response
     * itself, with each choice's finish reason as streamed ({@link Choice#effectiveFinishReason()})
     * and without {@code usage} unless the client asked for it.
     */
    public static ChatResponse expected(ChatResponse response, boolean includeUsage) {
        List<Choice> choices = new ArrayList<>();
        for (Choice choice : response.choices()) {
            choices.add(new Choice(
                    choice.index(), choice.message(), choice.effectiveFinishReason(), choice.logprobs(), choice.extras()));
        }
        return new ChatResponse(
                response.id(),
                response.created(),
                response.model(),
                response.systemFingerprint(),
                choices,
                includeUsage ? response.usage() : null,
                response.extras());
    }
}
