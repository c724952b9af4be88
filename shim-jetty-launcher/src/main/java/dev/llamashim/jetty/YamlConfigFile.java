package dev.llamashim.jetty;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads {@code config.yaml} into its top-level {@code key: value} entries, each with the line it is
 * on. It uses SnakeYAML's node graph (compose) rather than {@code load}, because only nodes carry
 * the line numbers error messages need; which keys are allowed is the loader's business.
 */
final class YamlConfigFile {

    /** One {@code key: value} line. */
    record Entry(String key, RawValue value) {}

    private YamlConfigFile() {}

    /**
     * The file's entries in file order; an empty file (or one with only comments) has none.
     *
     * @throws LauncherException when the file cannot be read, is not YAML, is not a mapping,
     *     or repeats a key
     */
    static List<Entry> read(Path file) {
        Node root;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new LoaderOptions()).compose(reader);
        } catch (MarkedYAMLException e) {
            throw LauncherException.config("config file " + file + " line " + line(e.getProblemMark())
                    + " is not valid YAML: " + e.getProblem(), e);
        } catch (YAMLException e) {
            throw LauncherException.config("config file " + file + " is not valid YAML: " + e.getMessage(), e);
        } catch (IOException e) {
            throw LauncherException.config("cannot read config file " + file + ": " + e, e);
        }
        if (root == null) {
            return List.of();
        }
        if (!(root instanceof MappingNode mapping)) {
            throw LauncherException.config("config file " + file + " line " + line(root.getStartMark())
                    + ": expected \"key: value\" lines at the top level, got " + describe(root));
        }
        Path baseDir = file.toAbsolutePath().getParent();
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            int line = line(tuple.getKeyNode().getStartMark());
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                throw LauncherException.config("config file " + file + " line " + line
                        + ": expected a key name, got " + describe(tuple.getKeyNode()));
            }
            String key = keyNode.getValue();
            Integer earlier = seen.putIfAbsent(key, line);
            if (earlier != null) {
                throw LauncherException.config(key + " from file " + file + " line " + line
                        + ": the key is already set on line " + earlier);
            }
            entries.add(new Entry(key, rawValue(tuple.getValueNode(), ConfigSource.file(file, line), baseDir)));
        }
        return List.copyOf(entries);
    }

    private static RawValue rawValue(Node node, ConfigSource source, Path baseDir) {
        if (node instanceof ScalarNode scalar) {
            Tag tag = scalar.getTag();
            if (Tag.NULL.equals(tag)) {
                return new RawValue(RawValue.Shape.NULL, "", List.of(), source, baseDir);
            }
            if (Tag.BOOL.equals(tag)) {
                // YAML 1.1 (as in the Python prototype's PyYAML): yes/no/on/off are booleans too.
                String value = scalar.getValue().toLowerCase(Locale.ROOT);
                boolean truth = value.equals("true") || value.equals("yes") || value.equals("on");
                return new RawValue(RawValue.Shape.BOOLEAN, Boolean.toString(truth), List.of(), source, baseDir);
            }
            if (Tag.INT.equals(tag) || Tag.FLOAT.equals(tag)) {
                return new RawValue(RawValue.Shape.NUMBER, scalar.getValue(), List.of(), source, baseDir);
            }
            return new RawValue(RawValue.Shape.TEXT, scalar.getValue(), List.of(), source, baseDir);
        }
        if (node instanceof SequenceNode sequence) {
            List<String> items = new ArrayList<>();
            for (Node item : sequence.getValue()) {
                if (!(item instanceof ScalarNode scalarItem)) {
                    return new RawValue(RawValue.Shape.MAPPING, "", List.of(), source, baseDir);
                }
                items.add(scalarItem.getValue());
            }
            return new RawValue(RawValue.Shape.LIST, "", items, source, baseDir);
        }
        return new RawValue(RawValue.Shape.MAPPING, "", List.of(), source, baseDir);
    }

    private static String describe(Node node) {
        if (node instanceof ScalarNode scalar) {
            return "\"" + scalar.getValue() + "\"";
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    private static int line(Mark mark) {
        return mark == null ? 0 : mark.getLine() + 1;
    }
}
