package dev.llamashim.examples.library;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shortest use of shim-core: reads one complete chat completion (a file, or standard input)
 * and prints the OpenAI {@code text/event-stream} a streaming client would have received.
 */
public final class ToEventStream {

    private ToEventStream() {}

    /**
     * Prints the stream, with the usage chunk a client gets when it asks for
     * {@code stream_options.include_usage}.
     *
     * @param args the path of a chat completion JSON file; none reads standard input
     */
    public static void main(String[] args) throws IOException {
        byte[] json = args.length > 0 ? Files.readAllBytes(Path.of(args[0])) : System.in.readAllBytes();

        ChatResponse response = ChatResponse.parse(json);
        byte[] stream = new StreamSynthesizer(ChunkingPolicy.byCodePoints(50)).toBytes(response, true);

        System.out.write(stream);
        System.out.flush();
    }
}
