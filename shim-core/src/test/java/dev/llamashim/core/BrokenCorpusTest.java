package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.BrokenCorpus.BrokenCase;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of the broken-answer corpus ({@code src/test/resources/broken/}): streams through
 * {@link StreamRepairer}, whole and cut anywhere, and JSON answers through {@link ResponseRepair}
 * then {@link StreamSynthesizer} (and {@link ResponseRepair#repairJson}), accumulate the way the
 * OpenAI SDKs do to exactly the case's expected message, in a stream that meets the contract.
 */
class BrokenCorpusTest {

    static List<BrokenCase> streams() {
        return BrokenCorpus.streams();
    }

    static List<BrokenCase> jsonAnswers() {
        return BrokenCorpus.jsonAnswers();
    }

    @Test
    void theCorpusHasStreamAndJsonCasesEachNamingItsSource() {
        assertThat(streams()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(jsonAnswers()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(BrokenCorpus.all()).allSatisfy(c -> assertThat(c.source()).containsPattern("#\\d+|\\.(cpp|py|go)"));
    }

    static List<BrokenCase> brokenStreams() {
        return streams().stream().filter(c -> !c.name().startsWith("negative-")).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenStreams")
    void everyStreamCaseBreaksAStrictClientWithoutRepair(BrokenCase broken) {
        List<String> problems = new ArrayList<>(
                StreamContract.violations(broken.upstream(), broken.usageChunkExpected()));
        try {
            problems.addAll(broken.expected().mismatches(RoundTrip.accumulate(broken.upstream())));
        } catch (ShimException e) {
            problems.add(e.getMessage());
        }
        assertThat(problems).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void repairedStreamAccumulatesToTheExpectedMessage(BrokenCase broken) {
        byte[] repaired = StreamRepairer.repair(broken.upstream(), broken.options());

        assertRepaired(broken, repaired);
    }

    @Property(tries = 400)
    void repairedStreamIsTheSameWhereverTheUpstreamBytesAreCut(
            @ForAll("streamCases") BrokenCase broken, @ForAll("cuts") List<Integer> cuts) {
        byte[] repaired = repairInPieces(broken, cuts);

        assertRepaired(broken, repaired);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonAnswers")
    void repairedJsonAnswerSynthesizesToTheExpectedMessage(BrokenCase broken) {
        RepairResult result = ResponseRepair.repair(ChatResponse.parse(broken.upstream()), broken.options());
        boolean includeUsage = broken.options().includeUsage();
        byte[] stream = new StreamSynthesizer(ChunkingPolicy.byCodePoints(7)).toBytes(result.response(), includeUsage);

        assertThat(broken.expected().mismatches(RoundTrip.accumulate(stream))).isEmpty();
        StreamContract.assertConforms(stream, includeUsage && result.response().usage() != null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonAnswers")
    void repairedJsonTextCarriesTheExpectedMessageAndEveryOtherField(BrokenCase broken) {
        byte[] repaired = ResponseRepair.repairJson(broken.upstream(), broken.options());

        if (!broken.expected().mismatches(ChatResponse.parse(broken.upstream())).isEmpty()) {
            assertThat(repaired).isNotSameAs(broken.upstream());
        }
        assertThat(broken.expected().mismatches(ChatResponse.parse(repaired))).isEmpty();
        assertThat(ChatResponse.parse(repaired).extras()).isEqualTo(ChatResponse.parse(broken.upstream()).extras());
        assertThat(ResponseRepair.repairJson(repaired, broken.options())).isSameAs(repaired);
    }

    static void assertRepaired(BrokenCase broken, byte[] repaired) {
        assertThat(broken.expected().mismatches(RoundTrip.accumulate(repaired))).isEmpty();
        StreamContract.assertConforms(repaired, broken.usageChunkExpected());
    }

    static byte[] repairInPieces(BrokenCase broken, List<Integer> cuts) {
        return StreamRepairerProperties.repairInPieces(broken.upstream(), broken.options(), cuts);
    }

    @Provide
    Arbitrary<BrokenCase> streamCases() {
        return Arbitraries.of(streams());
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMaxSize(30);
    }
}
