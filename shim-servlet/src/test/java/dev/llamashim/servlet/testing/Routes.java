package dev.llamashim.servlet.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamashim.core.testing.Fixture;
import java.util.function.Function;

/** Ready-made ways for a fake llama-server to answer, built from the captured fixtures. */
public final class Routes {

    private Routes() {}

    /** Always the same reply. */
    public static Function<RecordedRequest, Reply> always(Reply reply) {
        return request -> reply;
    }

    /** Always the same captured fixture. */
    public static Function<RecordedRequest, Reply> always(Fixture fixture) {
        return always(Reply.of(fixture));
    }

    /**
     * Answers like the llama-server build {@code build} ("new" or "old") did in the captures:
     * models, health and props; chat completions with or without tools, streamed or not (the old
     * build refuses {@code stream:true} with tools); 404 for anything else.
     */
    public static Function<RecordedRequest, Reply> llamaServer(String build) {
        return request -> {
            String path = request.path().split("\\?", 2)[0];
            if (request.method().equals("GET")) {
                return switch (path) {
                    case "/v1/models" -> Reply.of(Fixture.load(build, "models"));
                    case "/health" -> Reply.of(Fixture.load(build, "health"));
                    case "/props" -> Reply.of(Fixture.load(build, "props"));
                    default -> Reply.of(Fixture.load(build, "error-unknown-path"));
                };
            }
            if (!path.endsWith("/chat/completions")) {
                return Reply.of(Fixture.load(build, "error-unknown-path"));
            }
            JsonNode body = request.json();
            boolean stream = body.path("stream").asBoolean(false);
            boolean tools = body.path("tools").isArray() && !body.path("tools").isEmpty();
            boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
            if (!body.has("messages")) {
                return Reply.of(Fixture.load(build, stream ? "error-missing-messages-stream" : "error-missing-messages"));
            }
            if (tools && stream) {
                if (build.equals("old")) {
                    return Reply.of(Fixture.load(build, usage ? "tool-call-stream-refused-usage" : "tool-call-stream-refused"));
                }
                return Reply.of(Fixture.load(build, usage ? "tool-call-native-stream-usage" : "tool-call-native-stream"));
            }
            if (tools) {
                return Reply.of(Fixture.load(build, "tool-call-nonstream"));
            }
            if (stream) {
                return Reply.of(Fixture.load(build, usage ? "content-native-stream" : "content-native-stream-no-usage"));
            }
            return Reply.of(Fixture.load(build, "content-nonstream"));
        };
    }
}
