package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.RoundTrip;
import dev.llamashim.core.testing.StreamContract;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The repairer on llama-server's own streams, and on the synthesizer's streams of its answers. */
class StreamRepairerFixtureTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ERROR_FIXTURE = "new/content-native-stream-invalid-utf8";

    static List<Fixture> completeNativeStreams() {
        return Fixture.all().stream()
                .filter(Fixture::isNativeStream)
                .filter(f -> !f.name().equals(ERROR_FIXTURE))
                .toList();
    }

    static List<Fixture> nonStreamedCompletions() {
        return Fixture.all().stream().filter(Fixture::isNonStreamedCompletion).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completeNativeStreams")
    void repairedNativeStreamMeetsTheContractAndAccumulatesToTheSameMessage(Fixture fixture) throws IOException {
        boolean includeUsage = includeUsage(fixture);
        ChatResponse nativeResponse = RoundTrip.accumulate(fixture.body());

        byte[] repaired = StreamRepairer.repair(fixture.body(), includeUsage);

        ChatResponse expected = includeUsage ? nativeResponse : withoutUsage(nativeResponse);
        assertThat(RoundTrip.accumulate(repaired)).isEqualTo(expected);
        StreamContract.assertConforms(repaired, includeUsage && expected.usage() != null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completeNativeStreams")
    void repairedNativeStreamIsTheSameWhateverPiecesTheUpstreamBytesArriveIn(Fixture fixture) throws IOException {
        boolean includeUsage = includeUsage(fixture);
        byte[] whole = StreamRepairer.repair(fixture.body(), includeUsage);
        Random random = new Random(fixture.name().hashCode());

        for (int run = 0; run < 20; run++) {
            assertThat(new String(repairInPieces(fixture.body(), includeUsage, random), StandardCharsets.UTF_8))
                    .isEqualTo(new String(whole, StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("completeNativeStreams")
    void repairingARepairedStreamChangesNothing(Fixture fixture) throws IOException {
        boolean includeUsage = includeUsage(fixture);
        byte[] once = StreamRepairer.repair(fixture.body(), includeUsage);

        assertThat(new String(StreamRepairer.repair(once, includeUsage), StandardCharsets.UTF_8))
                .isEqualTo(new String(once, StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonStreamedCompletions")
    void repairingASynthesizedStreamGivesItBackByteForByte(Fixture fixture) {
        ChatResponse response = ChatResponse.parse(fixture.body());
        for (boolean includeUsage : new boolean[] {false, true}) {
            for (ChunkingPolicy policy : List.of(ChunkingPolicy.byCodePoints(1), ChunkingPolicy.byCodePoints(7), ChunkingPolicy.whole())) {
                byte[] synthesized = new StreamSynthesizer(policy).toBytes(response, includeUsage);

                byte[] repaired = StreamRepairer.repair(synthesized, includeUsage);

                assertThat(new String(repaired, StandardCharsets.UTF_8))
                        .as("%s, include_usage %s, %s", fixture.name(), includeUsage, policy)
                        .isEqualTo(new String(synthesized, StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void nativeStreamThatNeedsNoRepairPassesThroughByteForByte() {
        byte[] body = Fixture.load("new", "parallel-tool-calls-multi-native-stream").body();

        assertThat(new String(StreamRepairer.repair(body, true), StandardCharsets.UTF_8))
                .isEqualTo(new String(body, StandardCharsets.UTF_8));
    }

    @Test
    void changingCreatedIsPinnedToTheFirstChunks() {
        byte[] repaired = StreamRepairer.repair(Fixture.load("new", "tool-call-native-stream").body(), false);

        assertThat(StreamContract.violations(repaired, false)).isEmpty();
        assertThat(new String(repaired, StandardCharsets.UTF_8))
                .contains("\"created\":1795796153")
                .doesNotContain("\"created\":1795796154");
    }

    @Test
    void oldBuildsUsageOnTheFinishChunkMovesToAUsageChunkBeforeDone() throws IOException {
        byte[] repaired = StreamRepairer.repair(Fixture.load("old", "content-native-stream").body(), true);

        List<SseChunk> events = SseParser.parseAll(repaired);
        assertThat(events.get(events.size() - 1)).isEqualTo(SseChunk.DONE);
        String usageChunk = ((SseChunk.Data) events.get(events.size() - 2)).data();
        assertThat(MAPPER.readTree(usageChunk).get("choices").isEmpty()).isTrue();
        assertThat(MAPPER.readTree(usageChunk).get("usage").get("total_tokens").asInt()).isEqualTo(35);
        String finishChunk = ((SseChunk.Data) events.get(events.size() - 3)).data();
        assertThat(MAPPER.readTree(finishChunk).has("usage")).isFalse();
        assertThat(MAPPER.readTree(finishChunk).has("timings")).isTrue();
    }

    @Test
    void oldBuildsUsageIsDroppedWhenTheClientDidNotAskForIt() {
        byte[] repaired = StreamRepairer.repair(Fixture.load("old", "content-native-stream-no-usage").body(), false);

        assertThat(new String(repaired, StandardCharsets.UTF_8)).doesNotContain("\"usage\"").contains("\"timings\"");
        StreamContract.assertConforms(repaired, false);
    }

    @Test
    void oldBuildsEmptyContentBeforeItsTextIsDropped() {
        byte[] repaired = StreamRepairer.repair(Fixture.load("old", "content-native-stream").body(), true);

        assertThat(new String(repaired, StandardCharsets.UTF_8)).doesNotContain("\"content\":\"\"");
        assertThat(StreamContract.violations(repaired, true)).isEmpty();
    }

    @Test
    void inStreamErrorEndsTheRepairedStreamUnchangedWithNothingAfterIt() throws IOException {
        Fixture fixture = Fixture.load("new", "content-native-stream-invalid-utf8");
        byte[] body = fixture.body();
        List<SseChunk> nativeEvents = SseParser.parseAll(body);
        String errorEvent = nativeEvents.get(nativeEvents.size() - 1).render();
        assertThat(errorEvent).startsWith("data: {\"error\":");

        for (long seed = 0; seed < 10; seed++) {
            byte[] repaired = seed == 0 ? StreamRepairer.repair(body, true) : repairInPieces(body, true, new Random(seed));

            String text = new String(repaired, StandardCharsets.UTF_8);
            assertThat(text).endsWith(errorEvent).doesNotContain("[DONE]").doesNotContain("finish_reason\":\"");
            List<SseChunk> events = SseParser.parseAll(repaired);
            assertThat(RoundTrip.accumulate(events.subList(0, events.size() - 1)))
                    .isEqualTo(RoundTrip.accumulate(nativeEvents.subList(0, nativeEvents.size() - 1)));
            assertThat(StreamContract.violations(repaired, true)).containsExactly(
                    "the stream does not end with data: [DONE]",
                    "event 15: is an error event: "
                            + "The model produced output that does not match the expected peg-native format",
                    "choice 0 has no finish chunk (an empty delta with a finish_reason)",
                    "no usage chunk (\"choices\":[] with \"usage\"), though include_usage was requested");
        }
    }

    @Test
    void feedingAfterTheErrorWritesNothingMore() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamRepairer repairer = new StreamRepairer(false, out::writeBytes);
        byte[] error = "data: {\"error\":{\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}}\n\n"
                .getBytes(StandardCharsets.UTF_8);

        repairer.feed(ByteBuffer.wrap(error));
        repairer.feed(ByteBuffer.wrap(": keep-alive\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
        repairer.finish();

        assertThat(out.toByteArray()).isEqualTo(error);
    }

    static boolean includeUsage(Fixture fixture) throws IOException {
        return MAPPER.readTree(fixture.requestBody()).path("stream_options").path("include_usage").asBoolean(false);
    }

    static ChatResponse withoutUsage(ChatResponse response) {
        return new ChatResponse(response.id(), response.created(), response.model(), response.systemFingerprint(),
                response.choices(), null, response.extras());
    }

    /** Repairs {@code stream} fed in pieces cut at random byte offsets (inside UTF-8 sequences and CRLFs too). */
    static byte[] repairInPieces(byte[] stream, boolean includeUsage, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamRepairer repairer = new StreamRepairer(includeUsage, out::writeBytes);
        int[] cuts = random.ints(random.nextInt(12), 0, stream.length + 1).sorted().toArray();
        int from = 0;
        for (int cut : cuts) {
            repairer.feed(stream, from, cut - from);
            from = cut;
        }
        repairer.feed(Arrays.copyOfRange(stream, from, stream.length), 0, stream.length - from);
        repairer.finish();
        return out.toByteArray();
    }
}
