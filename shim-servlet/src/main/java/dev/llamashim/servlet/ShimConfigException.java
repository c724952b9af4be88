package dev.llamashim.servlet;

/** A {@link ToolStreamFilter} setting that is missing, malformed or out of range; the message names it. */
public final class ShimConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception whose message names the setting and what it expects. */
    public ShimConfigException(String message) {
        super(message);
    }

    /** Creates an exception whose message names the setting, keeping its cause. */
    public ShimConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
