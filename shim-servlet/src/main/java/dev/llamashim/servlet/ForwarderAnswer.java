package dev.llamashim.servlet;

import java.util.List;
import java.util.Map;

/**
 * The forwarder's complete answer to a shimmed request, as {@link ForwarderResponse} held it.
 *
 * @param status the HTTP status
 * @param headers header name/value pairs in the order set (content type excluded)
 * @param contentType the content type, or {@code null}
 * @param charset the body's character encoding name, or {@code null} when none was said
 * @param body the body bytes; only the first {@code length} count
 * @param length how many bytes of {@code body} are the body
 * @param overflowed whether the body went past {@code max-response-bytes} (and was cut)
 */
record ForwarderAnswer(
        int status,
        List<Map.Entry<String, String>> headers,
        String contentType,
        String charset,
        byte[] body,
        int length,
        boolean overflowed) {

    /** Whether the content type says JSON, or says nothing (then the body may still be JSON). */
    boolean isJsonOrUnlabelled() {
        return contentType == null || MediaType.parse(contentType).isJson();
    }
}
