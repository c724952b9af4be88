package dev.llamashim.core;

/** The finish reason of a choice that carries tool calls. */
final class FinishReasons {

    private FinishReasons() {}

    /**
     * {@code reason} for a choice with tool calls: {@code "stop"} becomes {@code "tool_calls"}
     * (some clients drop the calls of a choice that finished with {@code stop}), unless the request
     * forced one function, for which OpenAI itself answers {@code "stop"}. Others are kept.
     */
    static String withCalls(String reason, DeclaredTools tools) {
        return "stop".equals(reason) && tools.forcedFunction().isEmpty() ? "tool_calls" : reason;
    }

    /** The finish reason for a choice the upstream never finished. */
    static String missing(boolean calls, DeclaredTools tools) {
        return calls ? withCalls("stop", tools) : "stop";
    }
}
