package dev.llamashim.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.Choice;
import dev.llamashim.core.DeclaredTools;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.TextToolCalls;
import dev.llamashim.core.ToolCall;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The corpus of broken answers real servers send, in {@code src/test/resources/broken/} (and in
 * the shim-core test-jar): one case per reported defect or text format, each a raw upstream
 * answer ({@code NAME.sse} or {@code NAME.json}) and {@code NAME.case.json} with the public report
 * it comes from, the client's request and what the client must end with. See the directory's
 * README.md for the format.
 */
public final class BrokenCorpus {

    private static final String ROOT = "broken/";
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private BrokenCorpus() {}

    /**
     * One case.
     *
     * @param name the base name ({@code ollama-index0-parallel})
     * @param source the public report (tracker, number, URL) or parser it is shaped after
     * @param request the client's chat request, as JSON
     * @param upstream the upstream's answer, exact bytes
     * @param stream whether the answer is an event stream ({@code .sse}) or a JSON answer ({@code .json})
     * @param expected what the client must end with
     */
    public record BrokenCase(String name, String source, byte[] request, byte[] upstream, boolean stream, Expected expected) {

        /** The repair options of the case's request, with text extraction on. */
        public RepairOptions options() {
            JsonNode tree = readTree(request);
            boolean includeUsage = tree.path("stream_options").path("include_usage").asBoolean(false);
            return new RepairOptions(includeUsage, DeclaredTools.fromRequest(tree), TextToolCalls.EXTRACT);
        }

        /** Whether the repaired stream must end with a usage chunk: asked for, and the upstream sent usage. */
        public boolean usageChunkExpected() {
            return options().includeUsage() && new String(upstream, StandardCharsets.UTF_8).contains("\"usage\":{");
        }

        @Override
        public String toString() {
            return name + (stream ? ".sse" : ".json");
        }
    }

    /**
     * What the client must end with.
     *
     * @param content the content, or null
     * @param reasoningContent the reasoning content, or null
     * @param finishReason the finish reason
     * @param toolCalls the calls in order
     */
    public record Expected(String content, String reasoningContent, String finishReason, List<ExpectedCall> toolCalls) {

        /**
         * How the first choice of {@code actual} differs from this, one line per difference; empty
         * when it matches. Ids must be the expected ones where the case names them, else fresh
         * {@code call_} ids, unique in the message.
         */
        public List<String> mismatches(ChatResponse actual) {
            List<String> out = new ArrayList<>();
            if (actual.choices().size() != 1) {
                out.add("expected one choice, got " + actual.choices().size());
                return out;
            }
            Choice choice = actual.choices().get(0);
            compare(out, "content", content, choice.message().content());
            compare(out, "reasoning_content", reasoningContent, choice.message().reasoningContent());
            compare(out, "finish_reason", finishReason, choice.finishReason());
            List<ToolCall> calls = choice.message().toolCalls();
            if (calls.size() != toolCalls.size()) {
                out.add("expected " + toolCalls.size() + " tool calls, got " + calls.size() + ": " + calls);
                return out;
            }
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < calls.size(); i++) {
                ToolCall call = calls.get(i);
                ExpectedCall want = toolCalls.get(i);
                compare(out, "tool call " + i + " name", want.name(), call.name());
                JsonNode arguments;
                try {
                    arguments = MAPPER.readTree(call.arguments());
                } catch (IOException e) {
                    arguments = null;
                }
                if (arguments == null || !arguments.equals(want.arguments())) {
                    out.add("tool call " + i + " arguments: expected " + want.arguments() + ", got " + call.arguments());
                }
                if (want.id() != null) {
                    compare(out, "tool call " + i + " id", want.id(), call.id());
                } else if (!call.id().matches("call_[A-Za-z0-9]{24}")) {
                    out.add("tool call " + i + " id: expected a fresh call_ id, got " + call.id());
                }
                if (!ids.add(call.id())) {
                    out.add("tool call " + i + " id " + call.id() + " is used twice");
                }
                compare(out, "tool call " + i + " type", "function", call.type());
            }
            return out;
        }

        private static void compare(List<String> out, String what, String want, String got) {
            if (!Objects.equals(want, got)) {
                out.add(what + ": expected " + quote(want) + ", got " + quote(got));
            }
        }

        private static String quote(String s) {
            return s == null ? "null" : "\"" + s + "\"";
        }
    }

    /**
     * One expected call.
     *
     * @param id the id the server sent, kept; null when the repair makes one
     * @param name the function name
     * @param arguments the arguments object
     */
    public record ExpectedCall(String id, String name, JsonNode arguments) {}

    /** Every case, by name (stream and JSON form of one defect sort next to each other). */
    public static List<BrokenCase> all() {
        List<BrokenCase> cases = new ArrayList<>();
        for (String name : caseNames()) {
            cases.add(load(name));
        }
        return cases;
    }

    /** The stream cases. */
    public static List<BrokenCase> streams() {
        return all().stream().filter(BrokenCase::stream).toList();
    }

    /** The JSON-answer cases. */
    public static List<BrokenCase> jsonAnswers() {
        return all().stream().filter(c -> !c.stream()).toList();
    }

    /** The case called {@code name}. */
    public static BrokenCase load(String name) {
        JsonNode description = readTree(require(ROOT + name + ".case.json"));
        byte[] sse = resource(ROOT + name + ".sse");
        byte[] upstream = sse != null ? sse : require(ROOT + name + ".json");
        JsonNode expect = description.path("expect");
        List<ExpectedCall> calls = new ArrayList<>();
        for (JsonNode call : expect.path("tool_calls")) {
            calls.add(new ExpectedCall(text(call.get("id")), call.path("name").asText(), call.get("arguments")));
        }
        Expected expected = new Expected(text(expect.get("content")), text(expect.get("reasoning_content")),
                expect.path("finish_reason").asText(), List.copyOf(calls));
        try {
            return new BrokenCase(name, description.path("source").asText(),
                    MAPPER.writeValueAsBytes(description.get("request")), upstream, sse != null, expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    /** The base names of the cases: every {@code *.case.json} under {@code broken/}, from a directory or a jar. */
    private static Set<String> caseNames() {
        URL root = BrokenCorpus.class.getClassLoader().getResource(ROOT);
        if (root == null) {
            throw new IllegalStateException("no " + ROOT + " on the classpath");
        }
        Set<String> names = new TreeSet<>();
        try {
            if (root.getProtocol().equals("file")) {
                try (Stream<Path> files = Files.list(Path.of(root.toURI()))) {
                    files.map(p -> p.getFileName().toString()).forEach(file -> addCase(names, file));
                }
            } else if (root.getProtocol().equals("jar")) {
                JarURLConnection connection = (JarURLConnection) root.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile()) {
                    for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                        String entry = entries.nextElement().getName();
                        if (entry.startsWith(ROOT) && entry.indexOf('/', ROOT.length()) < 0) {
                            addCase(names, entry.substring(ROOT.length()));
                        }
                    }
                }
            } else {
                throw new IllegalStateException("cannot list " + root);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }

    private static void addCase(Set<String> names, String file) {
        if (file.endsWith(".case.json")) {
            names.add(file.substring(0, file.length() - ".case.json".length()));
        }
    }

    private static JsonNode readTree(byte[] json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] require(String resource) {
        byte[] bytes = resource(resource);
        if (bytes == null) {
            throw new IllegalStateException("missing test resource " + resource);
        }
        return bytes;
    }

    private static byte[] resource(String resource) {
        try (InputStream in = BrokenCorpus.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
