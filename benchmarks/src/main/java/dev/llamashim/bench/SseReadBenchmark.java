package dev.llamashim.bench;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamAccumulator;
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

/** The client side of the round trip, on one thread: an event stream parsed and accumulated back into one answer. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class SseReadBenchmark {

    /** Which stream: see {@link Inputs}. */
    @Param({Inputs.TOOL_CALL_2K_STREAM, Inputs.NATIVE_TOOL_CALL_STREAM})
    public String input;

    private byte[] stream;

    /** Builds the input once per fork. */
    @Setup
    public void setUp() {
        stream = Inputs.bytes(input);
    }

    /** SSE bytes in, the accumulated {@link ChatResponse} out. */
    @Benchmark
    public ChatResponse parseAndAccumulate() {
        StreamAccumulator accumulator = new StreamAccumulator();
        SseParser parser = new SseParser(accumulator::accept);
        parser.feed(stream, 0, stream.length);
        parser.finish();
        return accumulator.toResponse();
    }
}
