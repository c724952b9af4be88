package dev.llamashim.jetty;

/**
 * Why the launcher cannot run: a configuration error (exit code 2) or a start failure such as a
 * port in use (exit code 1). The message names the key, where its value came from and what was expected.
 */
public final class LauncherException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Exit code for a configuration error: bad key, value, file or flag. */
    public static final int CONFIG_ERROR = 2;
    /** Exit code for a failure to start once the configuration was valid (port in use, TLS setup). */
    public static final int START_FAILURE = 1;

    private final int exitCode;

    private LauncherException(String message, Throwable cause, int exitCode) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A configuration error; {@code message} names the key, its source and what was expected. */
    public static LauncherException config(String message) {
        return new LauncherException(message, null, CONFIG_ERROR);
    }

    /** A configuration error caused by {@code cause} (an unreadable file, say). */
    public static LauncherException config(String message, Throwable cause) {
        return new LauncherException(message, cause, CONFIG_ERROR);
    }

    /** A failure to start with a valid configuration. */
    public static LauncherException start(String message, Throwable cause) {
        return new LauncherException(message, cause, START_FAILURE);
    }

    /** The process exit code this failure stands for: {@link #CONFIG_ERROR} or {@link #START_FAILURE}. */
    public int exitCode() {
        return exitCode;
    }
}
