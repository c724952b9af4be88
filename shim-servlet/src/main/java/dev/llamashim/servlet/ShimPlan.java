package dev.llamashim.servlet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * What the filter does with one chat request body: whether to shim it, and if so the body the
 * downstream gets ({@code stream:false}, no {@code stream_options}) and whether the client asked
 * for a usage chunk.
 *
 * @param upstreamBody the rewritten request body
 * @param includeUsage whether the client sent {@code stream_options.include_usage: true}
 * @param model the request's {@code model}, or {@code ""} when it names none
 */
record ShimPlan(byte[] upstreamBody, boolean includeUsage, String model) {

    /** Floats kept exact, so a {@code temperature} of {@code 0.70} is forwarded as written. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    /**
     * The plan for {@code body}, or {@code null} when the request is not one to shim: not a JSON
     * object, {@code stream} not {@code true}, or (with {@link SimulateWhen#TOOLS}) no
     * {@code tools}/{@code functions}.
     */
    static ShimPlan decide(byte[] body, SimulateWhen when) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            return null; // Not JSON: the downstream answers it with its own 400.
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e);
        }
        if (!(tree instanceof ObjectNode request) || !request.path("stream").isBoolean() || !request.get("stream").booleanValue()) {
            return null;
        }
        if (when == SimulateWhen.TOOLS && !declaresTools(request)) {
            return null;
        }
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        String model = request.path("model").asText("");
        request.put("stream", false);
        request.remove("stream_options");
        try {
            return new ShimPlan(MAPPER.writeValueAsBytes(request), includeUsage, model);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("re-serializing a parsed tree failed", e);
        }
    }

    private static boolean declaresTools(ObjectNode request) {
        return nonEmptyArray(request.get("tools")) || nonEmptyArray(request.get("functions"));
    }

    private static boolean nonEmptyArray(JsonNode node) {
        return node != null && node.isArray() && !node.isEmpty();
    }
}
