package dev.llamashim.jetty.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format, version 0.0.4, for tests: any line
 * that breaks the grammar below fails the parse, naming the line. No maintained JVM library
 * parses this format (the Prometheus Java client only writes it), hence this one.
 *
 * <pre>
 * exposition = *( line LF )
 * line       = "" | "# HELP " name " " help | "# TYPE " name " " type | "#" comment | sample
 * sample     = name [ "{" [ label *( "," label ) [ "," ] ] "}" ] " " value [ " " timestamp ]
 * label      = label-name "=" DQUOTE label-value DQUOTE     ; label-value escapes \\ \" \n only
 * name       = [a-zA-Z_:][a-zA-Z0-9_:]*      label-name = [a-zA-Z_][a-zA-Z0-9_]*
 * type       = counter | gauge | histogram | summary | untyped
 * value      = a Go float: decimal or exponent notation, +Inf, -Inf, NaN
 * </pre>
 * Further rules: a family's TYPE comes at most once and before its samples; a sample belongs to
 * the family whose TYPE it follows (histogram samples end in {@code _bucket}, {@code _sum} or
 * {@code _count}, and buckets carry {@code le}; counters may end in {@code _total}); no sample
 * (name and labels) appears twice.
 */
public final class PrometheusText {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern VALUE = Pattern.compile("[+-]?(Inf|NaN|(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?)");
    private static final Pattern TIMESTAMP = Pattern.compile("-?\\d+");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming the first line that breaks the format. */
    public static PrometheusText parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a line feed");
        }
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new HashMap<>();
        Set<String> seenSamples = new HashSet<>();
        Set<String> familiesWithSamples = new HashSet<>();
        String family = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + " \"" + line + "\": ";
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# TYPE ") || line.startsWith("# HELP ")) {
                String[] parts = line.substring(7).split(" ", 2);
                require(NAME.matcher(parts[0]).matches(), where + "bad metric name");
                if (line.startsWith("# TYPE ")) {
                    require(parts.length == 2 && TYPES.contains(parts[1]), where + "unknown type");
                    require(!types.containsKey(parts[0]), where + "a second TYPE for " + parts[0]);
                    require(!familiesWithSamples.contains(parts[0]), where + "TYPE after samples of " + parts[0]);
                    types.put(parts[0], parts[1]);
                    family = parts[0];
                } else {
                    require(parts.length == 2 && !parts[1].matches(".*\\\\[^\\\\n].*"), where + "bad escape in HELP");
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Sample sample = sample(line, where);
            if (family != null && belongsTo(sample, family, types.get(family), where)) {
                familiesWithSamples.add(family);
            } else {
                require(!types.containsKey(sample.name()), where + "sample of " + sample.name() + " away from its TYPE");
                familiesWithSamples.add(sample.name());
            }
            require(seenSamples.add(sample.name() + sample.labels()), where + "a sample that appeared before");
            samples.add(sample);
        }
        return new PrometheusText(List.copyOf(samples), Map.copyOf(types));
    }

    private static boolean belongsTo(Sample sample, String family, String type, String where) {
        String name = sample.name();
        switch (type) {
            case "histogram" -> {
                if (name.equals(family + "_bucket")) {
                    require(sample.labels().containsKey("le"), where + "a bucket without le");
                    return true;
                }
                return name.equals(family + "_sum") || name.equals(family + "_count");
            }
            case "summary" -> {
                return name.equals(family) || name.equals(family + "_sum") || name.equals(family + "_count");
            }
            case "counter" -> {
                return name.equals(family) || name.equals(family + "_total") || name.equals(family + "_created");
            }
            default -> {
                return name.equals(family);
            }
        }
    }

    private static Sample sample(String line, String where) {
        Matcher name = NAME.matcher(line);
        require(name.lookingAt(), where + "no metric name");
        int at = name.end();
        Map<String, String> labels = new LinkedHashMap<>();
        if (at < line.length() && line.charAt(at) == '{') {
            at++;
            while (line.charAt(at) != '}') {
                Matcher labelName = LABEL_NAME.matcher(line).region(at, line.length());
                require(labelName.lookingAt(), where + "bad label name at " + at);
                at = labelName.end();
                require(line.startsWith("=\"", at), where + "label without =\"");
                at += 2;
                StringBuilder value = new StringBuilder();
                while (true) {
                    require(at < line.length(), where + "unterminated label value");
                    char c = line.charAt(at++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        require(at < line.length(), where + "dangling escape");
                        char escaped = line.charAt(at++);
                        switch (escaped) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw new IllegalArgumentException(where + "bad escape \\" + escaped);
                        }
                    } else {
                        value.append(c);
                    }
                }
                require(labels.put(labelName.group(), value.toString()) == null, where + "repeated label");
                require(at < line.length(), where + "unterminated labels");
                if (line.charAt(at) == ',') {
                    at++;
                } else {
                    require(line.charAt(at) == '}', where + "labels not separated by ,");
                }
            }
            at++;
        }
        require(at < line.length() && line.charAt(at) == ' ', where + "no space before the value");
        String[] rest = line.substring(at + 1).split(" ", -1);
        require(rest.length <= 2 && VALUE.matcher(rest[0]).matches(), where + "bad value");
        require(rest.length == 1 || TIMESTAMP.matcher(rest[1]).matches(), where + "bad timestamp");
        String number = rest[0].replace("Inf", "Infinity");
        return new Sample(name.group(), Map.copyOf(labels), Double.parseDouble(number));
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The family's declared type, e.g. {@code counter}, or {@code null}. */
    public String typeOf(String family) {
        return types.get(family);
    }

    /** Every sample, in order. */
    public List<Sample> samples() {
        return samples;
    }

    /** The value of the sample {@code name} whose labels include {@code labels} (name, value, …); 0 when there is none. */
    public double value(String name, String... labels) {
        List<Sample> matching = samples.stream().filter(s -> s.name().equals(name) && hasLabels(s, labels)).toList();
        if (matching.size() > 1) {
            throw new IllegalArgumentException(matching.size() + " samples match " + name + " " + List.of(labels));
        }
        return matching.isEmpty() ? 0 : matching.get(0).value();
    }

    private static boolean hasLabels(Sample sample, String... labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(sample.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
