package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The text-extraction cases of the broken-answer corpus ({@code broken/}), read directly: the
 * text fields of each upstream answer, fed event by event as the server streamed them, give the
 * case's expected text and calls, and the same as the whole text gives.
 */
class TextToolCallCorpusTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The corpus cases about tool calls written as text (the other cases are the repairer's). */
    static Stream<String> cases() {
        return Stream.of("hermes-content", "lmstudio-hermes-nonstream", "qwen3coder-content", "qwen3coder-reasoning",
                "glm-content", "mistral-content", "mistral-args-content", "mistral-array-nonstream",
                "llama3-content-nonstream", "llama3-python-tag", "kimi-reasoning", "kimi-content-nonstream",
                "deepseek-reasoning-nonstream", "deepseek-content", "negative-undeclared-name",
                "negative-markup-in-prose", "negative-truncated-block", "negative-marker-at-end",
                "negative-one-undeclared-in-block");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void extractionGivesTheExpectedTextAndCalls(String name) throws IOException {
        JsonNode spec = JSON.readTree(resource(name + ".case.json"));
        DeclaredTools tools = DeclaredTools.fromRequest(spec.get("request"));
        boolean stream = spec.path("request").path("stream").asBoolean();
        List<String> reasoningPieces = new ArrayList<>();
        List<String> contentPieces = new ArrayList<>();
        if (stream) {
            for (JsonNode chunk : events(new String(resource(name + ".sse"), StandardCharsets.UTF_8))) {
                JsonNode delta = chunk.path("choices").path(0).path("delta");
                addText(delta.get("reasoning_content"), reasoningPieces);
                addText(delta.get("content"), contentPieces);
            }
        } else {
            JsonNode message = JSON.readTree(resource(name + ".json")).path("choices").path(0).path("message");
            addText(message.get("reasoning_content"), reasoningPieces);
            addText(message.get("content"), contentPieces);
        }

        List<TextPiece> reasoning = fed(reasoningPieces, tools);
        List<TextPiece> content = fed(contentPieces, tools);

        JsonNode expect = spec.get("expect");
        assertThat(text(reasoning)).isEqualTo(expectedText(expect.get("reasoning_content")));
        assertThat(text(content)).isEqualTo(expectedText(expect.get("content")));
        List<JsonNode> calls = new ArrayList<>();
        for (TextPiece piece : concat(reasoning, content)) {
            if (piece instanceof TextPiece.Call call) {
                calls.add(JSON.createObjectNode().put("name", call.name()).set("arguments", JSON.readTree(call.arguments())));
            }
        }
        List<JsonNode> expected = new ArrayList<>();
        expect.get("tool_calls").forEach(call -> expected.add(JSON.createObjectNode()
                .put("name", call.get("name").asText()).set("arguments", call.get("arguments"))));
        assertThat(calls).isEqualTo(expected);
        assertThat(content).isEqualTo(TextToolCallExtractor.extractAll(String.join("", contentPieces), tools));
        assertThat(reasoning).isEqualTo(TextToolCallExtractor.extractAll(String.join("", reasoningPieces), tools));
    }

    private static List<TextPiece> fed(List<String> pieces, DeclaredTools tools) {
        TextToolCallExtractor extractor = new TextToolCallExtractor(tools);
        List<TextPiece> out = new ArrayList<>();
        pieces.forEach(piece -> out.addAll(extractor.feed(piece)));
        out.addAll(extractor.finish());
        List<TextPiece> merged = new ArrayList<>();
        for (TextPiece piece : out) {
            if (piece instanceof TextPiece.Text text && !merged.isEmpty() && merged.get(merged.size() - 1) instanceof TextPiece.Text previous) {
                merged.set(merged.size() - 1, new TextPiece.Text(previous.text() + text.text()));
            } else {
                merged.add(piece);
            }
        }
        return merged;
    }

    /** The expected text as the extractor gives it: a field the client ends with as "" has no text. */
    private static String expectedText(JsonNode expected) {
        return expected.isNull() || expected.asText().isEmpty() ? null : expected.asText();
    }

    private static String text(List<TextPiece> pieces) {
        StringBuilder out = new StringBuilder();
        pieces.forEach(piece -> {
            if (piece instanceof TextPiece.Text text) {
                out.append(text.text());
            }
        });
        return out.isEmpty() ? null : out.toString();
    }

    private static List<TextPiece> concat(List<TextPiece> first, List<TextPiece> second) {
        List<TextPiece> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static void addText(JsonNode field, List<String> pieces) {
        if (field != null && field.isTextual() && !field.textValue().isEmpty()) {
            pieces.add(field.textValue());
        }
    }

    private static List<JsonNode> events(String sse) throws IOException {
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        return chunks;
    }

    private static byte[] resource(String name) {
        try (InputStream in = TextToolCallCorpusTest.class.getResourceAsStream("/broken/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no corpus file " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
