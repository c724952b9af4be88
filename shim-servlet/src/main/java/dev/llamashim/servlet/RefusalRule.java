package dev.llamashim.servlet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * When mode {@code auto} takes a model server's error answer to a stream request for a refusal to
 * stream, the only answer that justifies asking it again with {@code stream:false}: status 400,
 * 422, 500 or 501, with an error message that mentions streaming ({@code stream} as a word start,
 * so not "upstream") and says it is not supported ("cannot", "can't", "not supported",
 * "unsupported", "does not (currently) support", "not allowed", "not implemented", "not
 * available", "unrecognized"). Every other answer is passed on as it came, in particular
 * llamashim's own 502 and 504 (connection failures, {@code request_timeout}), the model server's
 * 502, 503 and 504, 408 and 429, and any message that says something else ({@code 500 'messages'
 * is required}): asking a failing or overloaded server twice doubles its load for nothing.
 *
 * <p>What servers send when they refuse (the message is read from {@code error.message},
 * {@code error} or {@code detail} or {@code message} as text, or a short {@code text/plain} body):
 * llama-server up to b5478 {@code 500 {"error":{"message":"Cannot use tools with stream"}}}
 * (captured); Groq in 2024 {@code 400 "Tool and function calls do not currently support streaming"};
 * OpenAI's o1 {@code 400 "Unsupported value: 'stream' does not support true with this model."};
 * Modular MAX {@code 400 {"detail":"Tools are not supported in streaming mode."}}; gateways that
 * reject {@code stream_options} {@code 400 "Unrecognized request argument supplied: stream_options"}
 * (the retry sends none).
 */
final class RefusalRule {

    /** The statuses a refusal comes with: the request's fault (400, 422), or the server's (500, 501). */
    static final Set<Integer> REFUSAL_STATUSES = Set.of(400, 422, 500, 501);

    /** Error bodies longer than this are no refusal (those are one short sentence). */
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final int MAX_TEXT_CHARS = 1024;
    private static final Pattern MENTIONS_STREAMING = Pattern.compile("\\bstream", Pattern.CASE_INSENSITIVE);
    private static final Pattern SAYS_UNSUPPORTED = Pattern.compile("\\b(?:cannot|can't|can not|unsupported|not supported"
            + "|(?:does|do) not (?:currently )?support|not allowed|not implemented|not available|unrecognized)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final ObjectMapper JSON = ServletJson.MAPPER;

    private RefusalRule() {}

    /**
     * What to do with {@code answer}, the model server's complete, unstreamed answer to a stream
     * request; {@code knownNotARefusal} says its status from this server failed a
     * {@code stream:false} request in the same way recently.
     */
    static RetryDecision judge(ForwarderAnswer answer, boolean knownNotARefusal) {
        int status = answer.status();
        if (status < 400) {
            return new RetryDecision(RetryDecision.Reason.NOT_AN_ERROR, status, null);
        }
        if (!REFUSAL_STATUSES.contains(status)) {
            return new RetryDecision(RetryDecision.Reason.STATUS_NEVER_A_REFUSAL, status, null);
        }
        String message = message(answer);
        if (message == null || !MENTIONS_STREAMING.matcher(message).find() || !SAYS_UNSUPPORTED.matcher(message).find()) {
            return new RetryDecision(RetryDecision.Reason.NO_REFUSAL_MESSAGE, status, message);
        }
        if (knownNotARefusal) {
            return new RetryDecision(RetryDecision.Reason.KNOWN_NOT_A_REFUSAL, status, message);
        }
        return new RetryDecision(RetryDecision.Reason.REFUSED_TO_STREAM, status, message);
    }

    /**
     * Whether {@code retryAnswer}, the answer to {@code stream:false} after {@code refusal}, failed
     * the same way (same status, same message): then the first answer was no refusal to stream.
     */
    static boolean failedTheSameWay(RetryDecision refusal, ForwarderAnswer retryAnswer) {
        return retryAnswer.status() == refusal.status() && Objects.equals(message(retryAnswer), refusal.message());
    }

    /** The error message of {@code answer}, or {@code null} when none can be read. */
    static String message(ForwarderAnswer answer) {
        if (answer.overflowed() || answer.length() > MAX_BODY_BYTES) {
            return null;
        }
        if (answer.isJsonOrUnlabelled()) {
            try {
                return jsonMessage(JSON.readTree(answer.body(), 0, answer.length()));
            } catch (IOException e) {
                if (answer.contentType() != null) {
                    return null; // Said to be JSON, but is not.
                }
            }
        }
        if (answer.contentType() != null && !MediaType.parse(answer.contentType()).isPlainText()) {
            return null;
        }
        String text = new String(answer.body(), 0, answer.length(), charset(answer)).strip();
        return text.isEmpty() || text.length() > MAX_TEXT_CHARS ? null : text;
    }

    private static String jsonMessage(JsonNode body) {
        if (body == null || !body.isObject()) {
            return null;
        }
        JsonNode error = body.path("error");
        for (JsonNode candidate : new JsonNode[] {error.path("message"), error, body.path("detail"), body.path("message")}) {
            if (candidate.isTextual()) {
                return candidate.asText();
            }
        }
        return null;
    }

    private static Charset charset(ForwarderAnswer answer) {
        try {
            return answer.charset() == null ? StandardCharsets.UTF_8 : Charset.forName(answer.charset());
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
