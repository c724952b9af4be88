package dev.llamashim.bench;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the filter does per shimmed request, on one thread: the complete JSON answer parsed and
 * written as an event stream ({@link #parseAndSynthesize}), and the writing alone ({@link #synthesize}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class SynthesisBenchmark {

    /** Which answer: see {@link Inputs}. */
    @Param({Inputs.TOOL_CALL_2K, Inputs.CONTENT_64K, Inputs.PARALLEL_5})
    public String input;

    private byte[] json;
    private ChatResponse response;
    private final StreamSynthesizer synthesizer = new StreamSynthesizer(ChunkingPolicy.defaults());

    /** Builds the input once per fork. */
    @Setup
    public void setUp() {
        json = Inputs.bytes(input);
        response = ChatResponse.parse(json);
    }

    /** JSON bytes in, SSE bytes out (with the usage chunk), as {@code ToolStreamFilter} does. */
    @Benchmark
    public byte[] parseAndSynthesize() {
        return synthesizer.toBytes(ChatResponse.parse(json), true);
    }

    /** A parsed answer in, SSE bytes out. */
    @Benchmark
    public byte[] synthesize() {
        return synthesizer.toBytes(response, true);
    }
}
