package dev.llamashim.bench;

import dev.llamashim.core.DeclaredTools;
import dev.llamashim.core.TextToolCallExtractor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 * The text extraction's work on one thread: one field of a streamed answer fed to a fresh
 * {@link TextToolCallExtractor} piece by piece, as the repairer hands over each delta's text, then
 * finished. Divided by the pieces, the time is what extraction adds to each content delta.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class TextExtractionBenchmark {

    private static final DeclaredTools TOOLS = DeclaredTools.fromRequest("""
            {"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
              "properties":{"location":{"type":"string"},"unit":{"type":"string"}}}}},
              {"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}]}
            """.getBytes(StandardCharsets.UTF_8));

    /**
     * {@code prose}: 4 KiB of prose without markers (with {@code <}, {@code [} and {@code {} in it)
     * in 4-character pieces, the size of a token; {@code hermes}: a sentence and a Hermes block in
     * 4-character pieces; {@code hermesLargeOneChar}: a Hermes block with 64 KiB of arguments fed one
     * character at a time (the case that would show quadratic work).
     */
    @Param({"prose", "hermes", "hermesLargeOneChar"})
    public String input;

    private List<String> pieces;

    /** Cuts the input into its pieces once per fork. */
    @Setup
    public void setUp() {
        String sentence = "The forecast for Paris says 12 degrees [source: Météo-France] and light rain; a < b {ok}. ";
        String text = switch (input) {
            case "prose" -> sentence.repeat(4096 / sentence.length() + 1).substring(0, 4096);
            case "hermes" -> "Let me check the weather for you.\n\n<tool_call>\n{\"name\": \"get_weather\", "
                    + "\"arguments\": {\"location\": \"Paris, France\", \"unit\": \"celsius\"}}\n</tool_call>";
            default -> "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \""
                    + "x".repeat(64 * 1024) + "\"}}\n</tool_call>";
        };
        int size = input.equals("hermesLargeOneChar") ? 1 : 4;
        pieces = new ArrayList<>();
        for (int i = 0; i < text.length(); i += size) {
            pieces.add(text.substring(i, Math.min(text.length(), i + size)));
        }
    }

    /** The whole field, piece by piece, through a fresh extractor. */
    @Benchmark
    public void feedPieceByPiece(Blackhole out) {
        TextToolCallExtractor extractor = new TextToolCallExtractor(TOOLS);
        for (String piece : pieces) {
            out.consume(extractor.feed(piece));
        }
        out.consume(extractor.finish());
    }
}
