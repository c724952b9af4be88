package dev.llamashim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMH's JSON results ({@code -rf json -rff FILE}) into the Markdown table of BENCHMARKS.md:
 * ns/op, MB/s of input (input bytes / time per op) and bytes allocated per op ({@code -prof gc}).
 * Usage: {@code java -cp benchmarks.jar dev.llamashim.bench.JmhReport jmh.json}.
 */
public final class JmhReport {

    private JmhReport() {}

    /** Prints the table for the results file named by the one argument. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: JmhReport <jmh results .json>");
            System.exit(2);
        }
        JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        System.out.println("| benchmark | input | input bytes | ns/op (± 99.9%) | MB/s of input | B allocated/op |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (JsonNode result : results) {
            String benchmark = result.path("benchmark").asText().replaceFirst("^.*\\.(\\w+\\.\\w+)$", "$1");
            String input = result.path("params").path("input").asText();
            int bytes = Inputs.bytes(input).length;
            double nsPerOp = result.path("primaryMetric").path("score").asDouble();
            double error = result.path("primaryMetric").path("scoreError").asDouble();
            // bytes per ns = GB/s; MB/s (10^6 bytes per second) is a thousand times that.
            double mbPerSecond = bytes / nsPerOp * 1000;
            System.out.printf(Locale.ROOT, "| %s | %s | %,d | %,.0f ± %,.0f | %,.0f | %s |%n",
                    benchmark, input, bytes, nsPerOp, error, mbPerSecond, allocation(result.path("secondaryMetrics")));
        }
    }

    /** JMH 1.37 names it {@code gc.alloc.rate.norm}; older versions prefix a middle dot. */
    private static String allocation(JsonNode secondary) {
        for (Map.Entry<String, JsonNode> metric : secondary.properties()) {
            if (metric.getKey().endsWith("gc.alloc.rate.norm")) {
                return String.format(Locale.ROOT, "%,.0f", metric.getValue().path("score").asDouble());
            }
        }
        return "(run with -prof gc)";
    }
}
