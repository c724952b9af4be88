package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.Choice;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.DeclaredTools;
import dev.llamashim.core.Message;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.SseChunk;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamAccumulator;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The filter's two decisions under random and mutated input: what to do with a request body, and
 * what to answer for a downstream reply. Neither ever throws; a synthesized answer always obeys
 * the stream contract and accumulates back to the reply it came from.
 */
class FilterFuzzProperties {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StreamSynthesizer SYNTHESIZER = new StreamSynthesizer(ChunkingPolicy.byCodePoints(7));
    private static final List<Fixture> COMPLETIONS = Fixture.all().stream().filter(Fixture::isNonStreamedCompletion).toList();
    private static final List<Fixture> REQUESTS = Fixture.all().stream().filter(f -> f.requestBody() != null).toList();

    @Property(tries = 400)
    void anyRequestBodyIsEitherLeftAloneOrRewrittenToStreamFalse(@ForAll("requestBodies") byte[] body) throws Exception {
        ShimPlan plan = ShimPlan.decide(body, SimulateWhen.TOOLS, false);

        Statistics.label("shimmed").collect(plan != null);
        Statistics.label("shimmed").coverage(coverage -> {
            coverage.check(true).percentage(p -> p > 3);
            coverage.check(false).percentage(p -> p > 3);
        });
        if (plan != null) {
            JsonNode original = JSON.readTree(body);
            JsonNode rewritten = JSON.readTree(plan.upstreamBody());
            assertThat(original.get("stream").booleanValue()).isTrue();
            assertThat(rewritten.get("stream").booleanValue()).isFalse();
            assertThat(rewritten.has("stream_options")).isFalse();
            assertThat(rewritten.size()).isEqualTo(original.size() - (original.has("stream_options") ? 1 : 0));
            DeclaredTools expected = DeclaredTools.fromRequest(original);
            assertThat(plan.tools().names()).containsExactlyElementsOf(expected.names());
            assertThat(plan.tools().forcedFunction()).isEqualTo(expected.forcedFunction());
            for (String name : expected.names()) {
                assertThat(plan.tools().parameters(name)).isEqualTo(expected.parameters(name));
            }
        }
    }

    @Property(tries = 400)
    void anyDownstreamReplyBecomesAStreamTheReplyAsItCameOrA502(@ForAll("replies") byte[] body, @ForAll boolean includeUsage)
            throws Exception {
        ForwarderAnswer captured = new ForwarderAnswer(200, List.of(Map.entry("Server", "llama.cpp")),
                "application/json; charset=utf-8", "utf-8", body, body.length, false);

        ShimAnswer answer = ShimAnswer.of(captured, SYNTHESIZER, RepairOptions.of(includeUsage));

        Statistics.label("status").collect(answer.status());
        Statistics.label("status").coverage(coverage -> {
            coverage.check(200).percentage(p -> p > 10);
            coverage.check(502).percentage(p -> p > 10);
        });
        assertThat(answer.status()).isIn(200, 502);
        if (answer.status() == 502) {
            assertThat(JSON.readTree(answer.body()).at("/error/code").asText()).isEqualTo("invalid_upstream_response");
            return;
        }
        byte[] stream = java.util.Arrays.copyOf(answer.body(), answer.length());
        ChatResponse parsed = ChatResponse.parse(body);
        if (speaksTheContractsWords(parsed)) {
            StreamContract.assertConforms(stream, includeUsage && parsed.usage() != null);
        }
        StreamAccumulator accumulator = new StreamAccumulator();
        for (SseChunk event : SseParser.parseAll(stream)) {
            accumulator.accept(event);
        }
        ChatResponse expected = ChatResponse.parse(body);
        ChatResponse actual = accumulator.toResponse();
        String reply = new String(body, StandardCharsets.UTF_8);
        assertThat(withoutMadeIds(actual.choices(), reply)).isEqualTo(withoutMadeIds(expected.choices().stream()
                .map(c -> new Choice(c.index(), c.message(), c.effectiveFinishReason(), c.logprobs(), c.extras()))
                .toList(), reply));
    }

    /**
     * The choices with every call id the reply did not carry replaced by one placeholder: a call
     * without an id gets a random {@code call_} id at each parse, so two parses differ there.
     */
    private static List<Choice> withoutMadeIds(List<Choice> choices, String reply) {
        return choices.stream().map(c -> new Choice(c.index(),
                new Message(c.message().role(), c.message().content(), c.message().reasoningContent(),
                        c.message().toolCalls().stream().map(call -> reply.contains(call.id()) ? call
                                : new ToolCall(call.index(), "made", call.type(), call.name(),
                                        call.arguments(), call.extras(), call.functionExtras())).toList(),
                        c.message().extras()),
                c.finishReason(), c.logprobs(), c.extras())).toList();
    }

    /**
     * A mutation may garble a word the contract fixes ({@code role} "assistant", tool call type
     * "function"); the stream then carries it as the reply did, which is right, but not the contract.
     */
    private static boolean speaksTheContractsWords(ChatResponse reply) {
        return reply.choices().stream().allMatch(c -> c.message().role().equals("assistant")
                && c.message().toolCalls().stream().allMatch(call -> call.type().equals("function")));
    }

    @Provide
    Arbitrary<byte[]> requestBodies() {
        Arbitrary<byte[]> captured = Arbitraries.of(REQUESTS).map(Fixture::requestBody);
        Arbitrary<byte[]> streaming = captured.map(FilterFuzzProperties::withStreamTrue);
        return Arbitraries.oneOf(captured, streaming, mutated(streaming), randomBytes());
    }

    @Provide
    Arbitrary<byte[]> replies() {
        Arbitrary<byte[]> captured = Arbitraries.of(COMPLETIONS).map(Fixture::body);
        return Arbitraries.oneOf(captured, mutated(captured), randomBytes());
    }

    /** Cuts, flips a byte, or deletes a run: the damage a broken upstream or client does. */
    private static Arbitrary<byte[]> mutated(Arbitrary<byte[]> originals) {
        return Combinators.combine(originals, Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 2),
                Arbitraries.bytes()).as((bytes, where, how, value) -> {
                    int at = (int) (where * bytes.length);
                    byte[] copy = bytes.clone();
                    switch (how) {
                        case 0 -> {
                            return java.util.Arrays.copyOf(copy, at);
                        }
                        case 1 -> {
                            if (at < copy.length) {
                                copy[at] = value;
                            }
                            return copy;
                        }
                        default -> {
                            int end = Math.min(copy.length, at + 1 + (int) (where * 40));
                            byte[] out = new byte[copy.length - (end - at)];
                            System.arraycopy(copy, 0, out, 0, at);
                            System.arraycopy(copy, end, out, at, copy.length - end);
                            return out;
                        }
                    }
                });
    }

    private static Arbitrary<byte[]> randomBytes() {
        return Arbitraries.strings().ofMaxLength(200).map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] withStreamTrue(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        return text.replace("\"stream\": false", "\"stream\": true").getBytes(StandardCharsets.UTF_8);
    }
}
