package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.core.testing.BrokenStream;
import dev.llamashim.core.testing.BrokenStream.Call;
import dev.llamashim.core.testing.BrokenStream.Defect;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The repairer over generated streams: upstream streams with random sets of defects, cut into
 * random byte pieces, come out conforming and accumulate to the intended message; streams that
 * are already right (the synthesizer's) come out unchanged.
 */
class StreamRepairerProperties {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Property(tries = 300)
    void brokenStreamInRandomPiecesIsRepairedToTheIntendedMessage(
            @ForAll("brokenStreams") BrokenStream broken, @ForAll("cuts") List<Integer> cuts) {
        byte[] stream = broken.bytes();

        byte[] repaired = repairInPieces(stream, broken.includeUsage(), cuts);

        StreamRepairerTest.assertRepaired(broken, repaired);
    }

    @Property(tries = 200)
    void brokenStreamWithItsToolsDeclaredIsRepairedToTheIntendedMessage(
            @ForAll("brokenStreams") BrokenStream broken, @ForAll("cuts") List<Integer> cuts) {
        RepairOptions options = new RepairOptions(broken.includeUsage(), DeclaredTools.fromRequest(
                ("{\"tools\":[" + String.join(",", List.of("get_weather", "get_time", "search", "f").stream()
                        .map(n -> "{\"type\":\"function\",\"function\":{\"name\":\"" + n + "\"}}").toList()) + "]}")
                        .getBytes(StandardCharsets.UTF_8)),
                TextToolCalls.EXTRACT);

        byte[] repaired = repairInPieces(broken.bytes(), options, cuts);

        StreamRepairerTest.assertRepaired(broken, repaired);
    }

    @Property(tries = 200)
    void synthesizedStreamIsGivenBackUnchanged(
            @ForAll("responses") RoundTripProperties.JsonText json,
            @ForAll("policies") ChunkingPolicy policy,
            @ForAll boolean includeUsage,
            @ForAll("cuts") List<Integer> cuts) {
        ChatResponse response = ChatResponse.parse(json.bytes());
        byte[] synthesized = new StreamSynthesizer(policy).toBytes(response, includeUsage);

        byte[] repaired = repairInPieces(synthesized, includeUsage, cuts);

        assertThat(RoundTrip.accumulate(repaired)).isEqualTo(stopWithCallsMadeToolCalls(RoundTrip.accumulate(synthesized)));
        assertThat(StreamContract.violations(repaired, includeUsage && response.usage() != null)).isEmpty();
        if (response.choices().size() == 1 && !emptyContentAfterReasoning(response) && !stopWithCalls(response)) {
            assertThat(new String(repaired, StandardCharsets.UTF_8))
                    .isEqualTo(new String(synthesized, StandardCharsets.UTF_8));
        }
    }

    @Property(tries = 200)
    void synthesizedStreamWithToolsDeclaredAndExtractionOnAccumulatesToTheSameMessage(
            @ForAll("responses") RoundTripProperties.JsonText json,
            @ForAll("policies") ChunkingPolicy policy,
            @ForAll boolean includeUsage,
            @ForAll("cuts") List<Integer> cuts) {
        ChatResponse response = ChatResponse.parse(json.bytes());
        byte[] synthesized = new StreamSynthesizer(policy).toBytes(response, includeUsage);
        RepairOptions options = new RepairOptions(includeUsage, DeclaredTools.fromRequest(
                "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]}".getBytes(StandardCharsets.UTF_8)),
                TextToolCalls.EXTRACT);

        byte[] repaired = repairInPieces(synthesized, options, cuts);

        // Content that could be a rendering of the calls is held, and released unchanged.
        assertThat(RoundTrip.accumulate(repaired)).isEqualTo(stopWithCallsMadeToolCalls(RoundTrip.accumulate(synthesized)));
        assertThat(StreamContract.violations(repaired, includeUsage && response.usage() != null)).isEmpty();
    }

    /** A choice that finished with {@code stop} but carries tool calls: the repairer makes it {@code tool_calls}. */
    private static boolean stopWithCalls(ChatResponse response) {
        return response.choices().stream()
                .anyMatch(c -> "stop".equals(c.finishReason()) && !c.message().toolCalls().isEmpty());
    }

    static ChatResponse stopWithCallsMadeToolCalls(ChatResponse response) {
        List<Choice> choices = response.choices().stream()
                .map(c -> "stop".equals(c.finishReason()) && !c.message().toolCalls().isEmpty()
                        ? new Choice(c.index(), c.message(), "tool_calls", c.logprobs(), c.extras())
                        : c)
                .toList();
        return new ChatResponse(response.id(), response.created(), response.model(), response.systemFingerprint(),
                choices, response.usage(), response.extras());
    }

    /**
     * A choice with reasoning and {@code content:""}: the synthesizer sends the empty content with
     * the role, the repairer (which cannot know yet that no text follows the reasoning) sends it
     * after the reasoning. Same message, different bytes. Likewise with several choices, a role
     * delta held for its empty piece may go out after the next choice's deltas.
     */
    private static boolean emptyContentAfterReasoning(ChatResponse response) {
        return response.choices().stream().anyMatch(c -> "".equals(c.message().content())
                && c.message().reasoningContent() != null && !c.message().reasoningContent().isEmpty());
    }

    @Provide
    Arbitrary<RoundTripProperties.JsonText> responses() {
        return new RoundTripProperties().responses();
    }

    @Provide
    Arbitrary<ChunkingPolicy> policies() {
        return new RoundTripProperties().policies();
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMaxSize(20);
    }

    @Provide
    Arbitrary<BrokenStream> brokenStreams() {
        Arbitrary<String> content = Arbitraries.oneOf(
                Arbitraries.just(null),
                Arbitraries.strings().withCharRange(' ', '~').withChars("äöü東京\n\"\\").ofMinLength(1).ofMaxLength(40),
                Arbitraries.of("😀👍🏽", "a\uD83D\uDE00b", "line\r\nbreak"));
        Arbitrary<Call> call = Combinators.combine(
                        Arbitraries.of("get_weather", "get_time", "search", "f"),
                        Arbitraries.oneOf(
                                Arbitraries.strings().withCharRange(' ', '~').withChars("é東\t").ofMaxLength(30),
                                Arbitraries.of("😀", "x😀y👍🏽")),
                        Arbitraries.integers().between(-5, 100_000))
                .as((name, text, number) -> {
                    ObjectNode arguments = NODES.objectNode().put("q", text).put("n", number);
                    arguments.putArray("list").add(true).addNull();
                    return new Call(name, arguments);
                });
        Arbitrary<List<Call>> calls = call.list().ofMaxSize(4);
        Arbitrary<Set<Defect>> defects = Arbitraries.of(Defect.class).set();
        return Combinators.combine(content, calls, Arbitraries.of(true, false), defects, Arbitraries.of(true, false),
                        Arbitraries.integers().between(1, 12))
                .as(BrokenStream::new);
    }

    /** Feeds {@code stream} cut at {@code cuts} (taken modulo its length). */
    static byte[] repairInPieces(byte[] stream, boolean includeUsage, List<Integer> cuts) {
        return repairInPieces(stream, RepairOptions.of(includeUsage), cuts);
    }

    static byte[] repairInPieces(byte[] stream, RepairOptions options, List<Integer> cuts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamRepairer repairer = new StreamRepairer(options, out::writeBytes);
        int[] at = cuts.stream().mapToInt(c -> c % (stream.length + 1)).sorted().toArray();
        int from = 0;
        for (int cut : at) {
            repairer.feed(stream, from, cut - from);
            from = cut;
        }
        repairer.feed(stream, from, stream.length - from);
        repairer.finish();
        return out.toByteArray();
    }
}
