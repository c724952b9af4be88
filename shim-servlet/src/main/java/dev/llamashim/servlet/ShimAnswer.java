package dev.llamashim.servlet;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.RepairResult;
import dev.llamashim.core.RepairedJson;
import dev.llamashim.core.ResponseRepair;
import dev.llamashim.core.ShimException;
import dev.llamashim.core.SseFrames;
import dev.llamashim.core.StreamSynthesizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the client of a shimmed request gets: the synthesized stream, the forwarder's answer as it
 * came, or an error of llamashim's own.
 *
 * @param status the HTTP status
 * @param headers headers to set, in order (never hop-by-hop or length headers)
 * @param contentType the content type
 * @param body the body; only the first {@code length} bytes count
 * @param length how many bytes of {@code body} to send
 * @param stream whether this is an event stream (given no {@code Content-Length} of ours; the container may add one)
 * @param outcome what llamashim made of the forwarder's answer ({@link ShimOutcome#SYNTHESIZED},
 *     {@link ShimOutcome#NORMALIZED}, {@link ShimOutcome#FORWARDED} or {@link ShimOutcome#ERROR})
 * @param ownErrorCode the OpenAI error {@code code} when this is an error of llamashim's own, else {@code null}
 * @param repairs what the repair of the model server's answer mended and extracted
 */
record ShimAnswer(
        int status,
        List<Map.Entry<String, String>> headers,
        String contentType,
        byte[] body,
        int length,
        boolean stream,
        ShimOutcome outcome,
        String ownErrorCode,
        RepairCounts repairs) {

    static final String EVENT_STREAM = "text/event-stream; charset=utf-8";

    /** Headers every stream carries besides its content type (docs/STREAM-CONTRACT.md). */
    static final List<Map.Entry<String, String>> STREAM_HEADERS =
            List.of(Map.entry("Cache-Control", "no-cache"), Map.entry("X-Accel-Buffering", "no"));

    private static final ObjectMapper JSON = ServletJson.MAPPER;

    /**
     * Connection-level headers and ones the container computes; never copied from the forwarder.
     * {@code Date} is the container's: copied as well, a Jetty response would carry two.
     */
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade", "content-length", "date");

    /** Headers that described the JSON body and would lie about the stream. */
    private static final Set<String> ABOUT_THE_JSON_BODY = Set.of(
            "content-encoding", "content-md5", "content-range", "accept-ranges", "etag", "last-modified",
            "cache-control", "x-accel-buffering", "expires", "pragma");

    /** Headers that describe the exact bytes of a body, and would lie about a repaired one. */
    private static final Set<String> ABOUT_THE_EXACT_BYTES = Set.of(
            "content-md5", "content-digest", "repr-digest", "digest", "etag", "content-range", "accept-ranges");

    /**
     * The answer for a forwarder that is done: a stream of the answer (repaired, see
     * {@link ResponseRepair#repair}), the answer as it came, or a 502.
     */
    static ShimAnswer of(ForwarderAnswer captured, StreamSynthesizer synthesizer, RepairOptions options) {
        if (captured.overflowed()) {
            return tooLarge();
        }
        if (captured.status() != 200 || !captured.isJsonOrUnlabelled()) {
            return forwarded(captured);
        }
        ChatResponse response;
        try {
            response = parse(captured);
        } catch (ShimException e) {
            return error(new OpenAiError(502,
                    "the model server answered 200 but not with a chat completion: " + e.getMessage(),
                    "upstream_error", "invalid_upstream_response"));
        }
        RepairResult repaired = ResponseRepair.repair(response, options);
        byte[] stream = synthesizer.toBytes(repaired.response(), options.includeUsage());
        return new ShimAnswer(200, streamHeaders(captured.headers()), EVENT_STREAM, stream, stream.length, true,
                ShimOutcome.SYNTHESIZED, null, RepairCounts.of(repaired.report()));
    }

    /**
     * The answer to a {@code stream:false} request ({@code normalize-non-stream}): a {@code 200}
     * JSON chat completion repaired as JSON ({@link ResponseRepair#repairJson}) with the
     * forwarder's status and headers, or as it came when it needed no repair (both
     * {@link ShimOutcome#NORMALIZED}); any other answer as it came; a 502 when it was too large to hold.
     */
    static ShimAnswer normalized(ForwarderAnswer captured, RepairOptions options) {
        if (captured.overflowed()) {
            return tooLarge();
        }
        if (captured.status() != 200 || !captured.isJsonOrUnlabelled()) {
            return forwarded(captured);
        }
        byte[] body = Arrays.copyOf(captured.body(), captured.length());
        RepairedJson result = ResponseRepair.repairJsonWithReport(body, options);
        byte[] repaired = result.json();
        if (repaired == body) {
            return forwarded(captured, ShimOutcome.NORMALIZED);
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Map.Entry<String, String> header : captured.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !ABOUT_THE_EXACT_BYTES.contains(name)) {
                headers.add(header);
            }
        }
        // The repaired JSON is written in UTF-8, whatever encoding the model server's was in.
        String mime = captured.contentType() == null ? "application/json" : MediaType.parse(captured.contentType()).essence();
        return new ShimAnswer(200, headers, mime + "; charset=utf-8", repaired, repaired.length, false,
                ShimOutcome.NORMALIZED, null, RepairCounts.of(result.report()));
    }

    private static ShimAnswer tooLarge() {
        return error(new OpenAiError(502,
                "the model server's answer is larger than max-response-bytes; raise the limit or lower max_tokens",
                "upstream_error", "upstream_response_too_large"));
    }

    /**
     * The headers of a stream made from a forwarder answer with {@code headers}: its own, less
     * hop-by-hop ones and those that described its body, then {@link #STREAM_HEADERS}.
     */
    static List<Map.Entry<String, String>> streamHeaders(List<Map.Entry<String, String>> headers) {
        List<Map.Entry<String, String>> kept = new ArrayList<>();
        for (Map.Entry<String, String> header : headers) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !ABOUT_THE_JSON_BODY.contains(name)) {
                kept.add(header);
            }
        }
        kept.addAll(STREAM_HEADERS);
        return kept;
    }

    /** The forwarder's answer as it came, less hop-by-hop headers ({@link ShimOutcome#FORWARDED}). */
    static ShimAnswer forwarded(ForwarderAnswer captured) {
        return forwarded(captured, ShimOutcome.FORWARDED);
    }

    private static ShimAnswer forwarded(ForwarderAnswer captured, ShimOutcome outcome) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Map.Entry<String, String> header : captured.headers()) {
            if (!HOP_BY_HOP.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(header);
            }
        }
        String contentType = captured.contentType();
        if (contentType != null && captured.charset() != null && MediaType.parse(contentType).charset() == null) {
            contentType = contentType + "; charset=" + captured.charset();
        }
        return new ShimAnswer(captured.status(), headers, contentType, captured.body(), captured.length(), false,
                outcome, null, RepairCounts.NONE);
    }

    /** An error of llamashim's own. */
    static ShimAnswer error(OpenAiError error) {
        byte[] body = error.toJson();
        return new ShimAnswer(error.status(), List.of(), "application/json", body, body.length, false,
                ShimOutcome.ERROR, error.code(), RepairCounts.NONE);
    }

    /**
     * This answer as the rest of a stream that has already started (after heartbeats): the events
     * themselves, or, for any other answer, one {@code data: {"error":…}} event and {@code [DONE]},
     * which OpenAI clients raise as an error. The model server's own error object is kept when
     * it sent one.
     */
    byte[] asEvents() {
        if (stream) {
            return Arrays.copyOf(body, length);
        }
        byte[] event = SseFrames.data(errorObject());
        byte[] done = SseFrames.done();
        byte[] events = Arrays.copyOf(event, event.length + done.length);
        System.arraycopy(done, 0, events, event.length, done.length);
        return events;
    }

    /** {@code {"error":{…}}} on one line: the body's own when it is one, else one that describes it. */
    private String errorObject() {
        try {
            JsonNode parsed = JSON.readTree(body, 0, length);
            if (parsed != null && parsed.isObject() && parsed.path("error").isObject()) {
                return JSON.writeValueAsString(JSON.createObjectNode().set("error", parsed.get("error")));
            }
        } catch (IOException e) {
            // Not JSON: described below instead.
        }
        String text = new String(body, 0, Math.min(length, 200), StandardCharsets.UTF_8).strip();
        OpenAiError error = new OpenAiError(status < 400 ? 502 : status,
                "the model server answered " + status + (text.isEmpty() ? "" : ": " + text),
                "upstream_error", "upstream_status_" + status);
        return new String(error.toJson(), StandardCharsets.UTF_8);
    }

    private static ChatResponse parse(ForwarderAnswer captured) {
        Charset charset = charsetOf(captured);
        if (charset == null || charset.equals(StandardCharsets.UTF_8)) {
            // Jackson detects UTF-8/16/32 from the bytes themselves.
            return ChatResponse.parse(captured.body(), 0, captured.length());
        }
        return ChatResponse.parse(new String(captured.body(), 0, captured.length(), charset));
    }

    private static Charset charsetOf(ForwarderAnswer captured) {
        try {
            return captured.charset() == null ? null : Charset.forName(captured.charset());
        } catch (IllegalArgumentException e) {
            return null; // An unknown charset label: let the JSON parser detect the encoding.
        }
    }
}
