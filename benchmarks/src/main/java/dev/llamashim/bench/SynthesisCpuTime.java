package dev.llamashim.bench;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;

/**
 * The JMH benchmarks' two operations timed by this thread's CPU time instead of the wall clock:
 * on a machine shared with other work, wall time per operation counts the time the thread waited
 * for a core, CPU time does not. "MB/s on one core" is input bytes per CPU second. Prints the best
 * of five 1 s rounds after 3 s of warmup (or as many seconds as the first argument says: on a
 * crowded machine the JIT needs longer), per input.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.llamashim.bench.SynthesisCpuTime [warmup-seconds]}.
 */
public final class SynthesisCpuTime {

    private static final int ROUNDS = 5;
    private static final long ROUND_NANOS = 1_000_000_000L;
    private static final int BATCH = 20;

    /** Keeps the results alive so the JIT cannot drop the work. */
    private static volatile byte[] sink;

    private SynthesisCpuTime() {}

    /** One operation, called directly: a lambda per operation measured slower while the JIT had not caught up. */
    private static void run(StreamSynthesizer synthesizer, byte[] json, ChatResponse parsed, boolean parse) {
        sink = synthesizer.toBytes(parse ? ChatResponse.parse(json) : parsed, true);
    }

    /** Runs every input through both operations and prints one Markdown row each. */
    public static void main(String[] args) {
        long warmupNanos = (args.length > 0 ? Long.parseLong(args[0]) : 3) * 1_000_000_000L;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        StreamSynthesizer synthesizer = new StreamSynthesizer(ChunkingPolicy.defaults());
        System.out.println("| operation | input | input bytes | CPU ns/op (best of " + ROUNDS + ") | MB/s of input per CPU second |");
        System.out.println("|---|---|---:|---:|---:|");
        for (String input : List.of(Inputs.TOOL_CALL_2K, Inputs.CONTENT_64K, Inputs.PARALLEL_5)) {
            byte[] json = Inputs.bytes(input);
            ChatResponse parsed = ChatResponse.parse(json);
            for (boolean parse : new boolean[] {false, true}) {
                for (long end = System.nanoTime() + warmupNanos; System.nanoTime() < end; ) {
                    run(synthesizer, json, parsed, parse);
                }
                long best = Long.MAX_VALUE;
                for (int round = 0; round < ROUNDS; round++) {
                    long cpu = threads.getCurrentThreadCpuTime();
                    long ops = 0;
                    for (long end = System.nanoTime() + ROUND_NANOS; System.nanoTime() < end; ops += BATCH) {
                        for (int i = 0; i < BATCH; i++) {
                            run(synthesizer, json, parsed, parse);
                        }
                    }
                    best = Math.min(best, (threads.getCurrentThreadCpuTime() - cpu) / ops);
                }
                System.out.printf(Locale.ROOT, "| %s | %s | %,d | %,d | %.0f |%n", parse ? "parseAndSynthesize" : "synthesize",
                        input, json.length, best, json.length * 1e3 / best);
            }
        }
    }
}
