package dev.llamashim.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.core.testing.Fixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the request bodies an outside load generator sends ({@code run.sh wrk}), all from the
 * captured {@code new/tool-call-nonstream} request: {@code tools-nonstream.json} ({@code stream:false},
 * passed through), {@code tools-stream.json} ({@code stream:true}, shimmed or repaired) and
 * {@code plain-stream.json} ({@code stream:true} without tools: a native token stream).
 */
final class RequestBodies {

    private RequestBodies() {}

    /** {@code java -cp benchmarks.jar dev.llamashim.bench.RequestBodies DIR}. */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode request = (ObjectNode) mapper.readTree(Fixture.load("new", "tool-call-nonstream").requestBody());
        Files.write(dir.resolve("tools-nonstream.json"), mapper.writeValueAsBytes(request.put("stream", false)));
        Files.write(dir.resolve("tools-stream.json"), mapper.writeValueAsBytes(request.put("stream", true)));
        request.remove(List.of("tools", "tool_choice", "functions", "function_call"));
        Files.write(dir.resolve("plain-stream.json"), mapper.writeValueAsBytes(request));
    }
}
