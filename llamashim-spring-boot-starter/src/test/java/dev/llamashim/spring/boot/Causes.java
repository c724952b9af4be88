package dev.llamashim.spring.boot;

/** Reads a failure the way a person reads a stack trace: every message down the cause chain. */
final class Causes {

    private Causes() {}

    /** The messages of {@code failure} and all its causes, one per line. */
    static String messages(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause.getClass().getName()).append(": ").append(cause.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
