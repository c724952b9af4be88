package dev.llamashim.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.DeclaredTools;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.StreamRepairer;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.TextToolCalls;
import dev.llamashim.core.testing.BrokenCorpus;
import dev.llamashim.core.testing.BrokenStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Mode {@code repair}'s work on one thread: a native stream fed to {@link StreamRepairer} one event
 * at a time, as a proxy hands it over. Divided by the events per stream, the time is the latency
 * repair adds to each chunk (issue 9: under 1 ms), without and with text tool-call extraction
 * (issue 13).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class RepairBenchmark {

    /**
     * Which stream: llama-server's own ({@link Inputs#NATIVE_TOOL_CALL_STREAM}, passed through), or
     * {@code brokenToolCallStream}: two tool calls and text with every defect {@link BrokenStream}
     * knows (each chunk re-written).
     */
    @Param({Inputs.NATIVE_TOOL_CALL_STREAM, "brokenToolCallStream", "markerFreeContentStream", "hermesTextCallStream"})
    public String input;

    /**
     * {@code none}: a request without tools (nothing to extract, as before issue 13);
     * {@code extract}: tools declared and {@code text_tool_calls: extract}, so every text piece
     * goes through the extractor.
     */
    @Param({"none", "extract"})
    public String tools;

    private List<byte[]> events;
    private RepairOptions options;

    /** Splits the input into its events once per fork. */
    @Setup
    public void setUp() {
        events = new ArrayList<>();
        byte[] stream = switch (input) {
            case Inputs.NATIVE_TOOL_CALL_STREAM -> Inputs.bytes(input);
            case "brokenToolCallStream" -> broken();
            case "markerFreeContentStream" -> new StreamSynthesizer(ChunkingPolicy.byCodePoints(4))
                    .toBytes(ChatResponse.parse(Inputs.content64k()), true);
            case "hermesTextCallStream" -> BrokenCorpus.load("hermes-content").upstream();
            default -> throw new IllegalArgumentException(input);
        };
        for (String event : new String(stream, StandardCharsets.UTF_8).split("(?<=\n\n)")) {
            events.add(event.getBytes(StandardCharsets.UTF_8));
        }
        DeclaredTools declared = DeclaredTools.fromRequest(("{\"tools\":["
                + "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\"}}}]}")
                .getBytes(StandardCharsets.UTF_8));
        options = tools.equals("extract")
                ? new RepairOptions(true, declared, TextToolCalls.EXTRACT)
                : RepairOptions.of(true);
    }


    private static byte[] broken() {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        List<BrokenStream.Call> calls = List.of(
                new BrokenStream.Call("get_weather", nodes.objectNode().put("location", "Paris").put("unit", "celsius")),
                new BrokenStream.Call("get_time", nodes.objectNode().put("zone", "Europe/Paris")));
        return new BrokenStream("Let me look that up for you.", calls, true,
                EnumSet.allOf(BrokenStream.Defect.class), false, 4).bytes();
    }

    /** The whole stream, event by event, through a fresh repairer. */
    @Benchmark
    public void repairEventByEvent(Blackhole out) {
        StreamRepairer repairer = new StreamRepairer(options, out::consume);
        for (byte[] event : events) {
            repairer.feed(event, 0, event.length);
        }
        repairer.finish();
    }
}
