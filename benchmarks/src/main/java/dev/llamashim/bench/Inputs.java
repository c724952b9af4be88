package dev.llamashim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.testing.Fixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;

/**
 * The benchmark inputs: captured llama-server answers ({@code new/…} fixtures) enlarged
 * deterministically (fixed seeds) to the sizes the issue names, so every run measures the same bytes.
 */
public final class Inputs {

    /** A typical tool call: one {@code get_weather} call whose arguments bring the answer to about 2 KB. */
    public static final String TOOL_CALL_2K = "toolCall2k";
    /** A plain answer whose {@code content} brings it to just under 64 KiB. */
    public static final String CONTENT_64K = "content64k";
    /** Five parallel tool calls in one answer. */
    public static final String PARALLEL_5 = "parallel5";
    /** The event stream the shim writes for {@link #TOOL_CALL_2K} (chunk size 50, usage included). */
    public static final String TOOL_CALL_2K_STREAM = "toolCall2kStream";
    /** llama-server's own captured stream of a tool call ({@code new/tool-call-native-stream}). */
    public static final String NATIVE_TOOL_CALL_STREAM = "nativeToolCallStream";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> WORDS = List.of("the", "weather", "in", "London", "is", "mild", "today,",
            "with", "a", "chance", "of", "rain", "later", "café", "\"quoted\"", "naïve", "東京", "tomorrow", "and",
            "wind", "from", "the", "west.", "Temperatures", "stay", "near", "15°C", "\n", "😀", "forecast");

    private Inputs() {}

    /** The bytes of the input called {@code name}: chat completion JSON, or an SSE stream for the stream inputs. */
    public static byte[] bytes(String name) {
        return switch (name) {
            case TOOL_CALL_2K -> toolCall2k();
            case CONTENT_64K -> content64k();
            case PARALLEL_5 -> parallel5();
            case TOOL_CALL_2K_STREAM -> new StreamSynthesizer(ChunkingPolicy.defaults())
                    .toBytes(ChatResponse.parse(toolCall2k()), true);
            case NATIVE_TOOL_CALL_STREAM -> Fixture.load("new", "tool-call-native-stream").body();
            default -> throw new IllegalArgumentException("no benchmark input " + name);
        };
    }

    /** {@code new/tool-call-nonstream} with its call's arguments grown to bring the answer to 2048 bytes or more. */
    public static byte[] toolCall2k() {
        ObjectNode answer = fixture("tool-call-nonstream");
        ObjectNode function = (ObjectNode) answer.at("/choices/0/message/tool_calls/0/function");
        ObjectNode arguments = MAPPER.createObjectNode().put("location", "London").put("unit", "fahrenheit");
        Random random = new Random(7);
        StringBuilder notes = new StringBuilder();
        do {
            notes.append(WORDS.get(random.nextInt(WORDS.size()))).append(' ');
            function.put("arguments", write(arguments.put("notes", notes.toString())));
        } while (write(answer).length < 2048);
        return write(answer);
    }

    /** {@code new/content-nonstream} with its content grown to bring the answer as close to 65536 bytes as whole words allow. */
    public static byte[] content64k() {
        ObjectNode answer = fixture("content-nonstream");
        ObjectNode message = (ObjectNode) answer.at("/choices/0/message");
        message.put("content", "");
        int budget = 65536 - write(answer).length;
        Random random = new Random(64);
        StringBuilder content = new StringBuilder();
        while (true) {
            String word = WORDS.get(random.nextInt(WORDS.size())) + " ";
            // What the word costs in the JSON: UTF-8 bytes and escapes, without the quotes.
            int cost = write(TextNode.valueOf(word)).length - 2;
            if (cost > budget) {
                break;
            }
            content.append(word);
            budget -= cost;
        }
        message.put("content", content.toString());
        return write(answer);
    }

    /** {@code new/parallel-tool-calls-multi-nonstream} (three calls) with five calls, for five cities. */
    public static byte[] parallel5() {
        ObjectNode answer = fixture("parallel-tool-calls-multi-nonstream");
        ArrayNode calls = (ArrayNode) answer.at("/choices/0/message/tool_calls");
        JsonNode template = calls.get(0);
        calls.removeAll();
        Random random = new Random(5);
        for (String city : List.of("London", "Paris", "Tokyo", "New York", "Sydney")) {
            ObjectNode call = template.deepCopy();
            call.put("id", alphanumerics(random, 32));
            ((ObjectNode) call.get("function")).put("arguments",
                    "{\"location\":\"" + city + "\", \"unit\": \"celsius\"}");
            calls.add(call);
        }
        ((ObjectNode) answer.at("/choices/0")).put("finish_reason", "tool_calls");
        return write(answer);
    }

    private static ObjectNode fixture(String scenario) {
        try {
            return (ObjectNode) MAPPER.readTree(Fixture.load("new", scenario).body());
        } catch (IOException e) {
            throw new UncheckedIOException("fixture new/" + scenario + " is not JSON", e);
        }
    }

    private static byte[] write(JsonNode json) {
        try {
            return MAPPER.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String alphanumerics(Random random, int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }
}
