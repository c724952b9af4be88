package dev.llamashim.jetty;

import java.nio.file.Path;

/**
 * {@code java -jar llamashim.jar}: see {@link Cli} for what it does and {@code --help} for its flags.
 * Exit codes: 0 ok, 1 start failure (e.g. port in use), 2 configuration error; stopped by SIGTERM
 * or SIGINT it stops gracefully and the JVM exits with 143 or 130.
 */
public final class Main {

    private Main() {}

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        ConsoleLogging.install();
        int code = new Cli(System.out, System.err, System.getenv(), Path.of("").toAbsolutePath()).run(args);
        ConsoleLogging.flush();
        System.exit(code);
    }
}
