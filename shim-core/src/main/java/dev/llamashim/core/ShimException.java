package dev.llamashim.core;

/**
 * The one failure type of shim-core: input that is not what it claims to be (a chat completion
 * that is not one, an SSE stream that breaks its framing) or a setting out of range. The message
 * names what is wrong and where, e.g. {@code choices[1].message.tool_calls[0].function: missing "name"}.
 * Only shim-core throws it.
 */
public final class ShimException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception whose message says what is wrong and where. */
    ShimException(String message) {
        super(message);
    }

    /** Creates an exception whose message says what is wrong and where, keeping its cause. */
    ShimException(String message, Throwable cause) {
        super(message, cause);
    }
}
