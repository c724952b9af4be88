package dev.llamashim.jetty;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.DeclaredTools;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.RepairResult;
import dev.llamashim.core.ResponseRepair;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamAccumulator;
import dev.llamashim.core.StreamRepairer;
import dev.llamashim.core.TextToolCalls;
import dev.llamashim.servlet.RepairCounts;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * What shim-core's repair makes of a model server's answer to the probe, with the probe's tool
 * declared: the answer as a client would accumulate it after repair, what was mended, and
 * whether the repair changed anything at all.
 */
final class ProbeRepair {

    /**
     * @param response the answer after repair, as a client would accumulate it
     * @param repairs what the repair mended and extracted, by kind
     * @param changed whether the repaired answer differs from the server's
     */
    record Result(ChatResponse response, RepairCounts repairs, boolean changed) {}

    private ProbeRepair() {}

    /** The options the filter would repair the probe's request with. */
    static RepairOptions options(byte[] request, boolean includeUsage) {
        return new RepairOptions(includeUsage, DeclaredTools.fromRequest(request), TextToolCalls.EXTRACT);
    }

    /**
     * A {@code text/event-stream} answer, repaired as mode {@code repair} would.
     *
     * @throws dev.llamashim.core.ShimException when the stream is beyond repair
     */
    static Result stream(byte[] raw, RepairOptions options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + 256);
        StreamRepairer repairer = new StreamRepairer(options, out::writeBytes);
        repairer.feed(raw, 0, raw.length);
        repairer.finish();
        byte[] repaired = out.toByteArray();
        StreamAccumulator accumulator = new StreamAccumulator();
        SseParser.parseAll(repaired).forEach(accumulator::accept);
        return new Result(accumulator.toResponse(), RepairCounts.of(repairer.report()), !Arrays.equals(raw, repaired));
    }

    /**
     * A {@code stream:false} JSON answer, read and repaired as mode {@code synthesize} does before
     * it makes the stream ({@link ResponseRepair#repair}).
     *
     * @throws dev.llamashim.core.ShimException when it is not a chat completion
     */
    static Result json(byte[] raw, RepairOptions options) {
        RepairResult repaired = ResponseRepair.repair(ChatResponse.parse(raw), options);
        return new Result(repaired.response(), RepairCounts.of(repaired.report()), !repaired.report().isEmpty());
    }
}
