package dev.llamashim.examples.library;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.SseParser;
import dev.llamashim.core.StreamAccumulator;
import dev.llamashim.core.ToolCall;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToEventStreamTest {

    private static final byte[] TOOL_CALL = Fixture.load("new", "tool-call-nonstream").body();

    @Test
    void printsTheCapturedToolCallAsAStreamThatAccumulatesToTheSameCall() throws Exception {
        byte[] printed = run(TOOL_CALL);

        StreamContract.assertConforms(printed, true);
        StreamAccumulator accumulator = new StreamAccumulator();
        SseParser.parseAll(printed).forEach(accumulator::accept);
        assertThat(accumulator.isDone()).isTrue();
        ToolCall call = accumulator.toResponse().choices().get(0).message().toolCalls().get(0);
        assertThat(call.id()).isEqualTo("GXjSadYcndOZ8R1waztCzffnUAsuhNux");
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.arguments()).isEqualTo("{\"location\":\"London\", \"unit\": \"fahrenheit\"}");
        assertThat(new String(printed, StandardCharsets.UTF_8))
                .startsWith("data: {\"id\":\"chatcmpl-5neAdupgcUxPV5BnsS7ErDJFabOyDKuK\"")
                .contains("\"usage\":{\"completion_tokens\":38")
                .endsWith("data: [DONE]\n\n");
    }

    @Test
    void readsTheFileNamedOnTheCommandLineLikeStandardInput(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("response.json"), TOOL_CALL);

        assertThat(run(new byte[0], file.toString())).isEqualTo(run(TOOL_CALL));
    }

    /** Runs {@code main} with {@code stdin} as standard input and returns what it printed. */
    private static byte[] run(byte[] stdin, String... args) throws Exception {
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin));
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            ToEventStream.main(args);
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        return printed.toByteArray();
    }
}
