package dev.llamashim.jetty;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code java -jar llamashim.jar} command: {@code --help}, {@code --version},
 * {@code --check-config}, {@code probe} (see {@link ProbeCommand}), or start and serve until SIGTERM/SIGINT. Returns the exit code:
 * 0 ok, 2 configuration error, 1 start failure.
 */
public final class Cli {

    /** Exit code when all went well. */
    public static final int OK = 0;

    private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final Path workingDir;

    /**
     * A command that prints to {@code out} and {@code err} and reads {@code env} and {@code workingDir}
     * (in {@link Main}: {@code System.out}, {@code System.err}, {@code System.getenv()}, the current directory).
     */
    public Cli(PrintStream out, PrintStream err, Map<String, String> env, Path workingDir) {
        this.out = out;
        this.err = err;
        this.env = Map.copyOf(env);
        this.workingDir = workingDir;
    }

    /**
     * Runs the command; with no informational flag, starts the launcher and returns only once it
     * has stopped (after SIGTERM or SIGINT).
     */
    public int run(String... args) {
        try {
            if (args.length > 0 && args[0].equals(ProbeCommand.NAME) && !Arrays.asList(args).contains("--help")) {
                return ProbeCommand.run(Arrays.asList(args).subList(1, args.length), env, workingDir, out);
            }
            CommandLine commandLine = CommandLine.parse(Arrays.asList(args));
            switch (commandLine.action()) {
                case HELP -> {
                    out.print(Usage.text());
                    return OK;
                }
                case VERSION -> {
                    out.println("llamashim " + Version.current());
                    return OK;
                }
                default -> {
                    // RUN and CHECK_CONFIG need the configuration first.
                }
            }
            EffectiveConfig effective = ConfigLoader.load(commandLine, env, workingDir);
            if (commandLine.action() == CommandLine.Action.CHECK_CONFIG) {
                out.print(ConfigReport.text(effective));
                return OK;
            }
            serveUntilStopped(effective);
            return OK;
        } catch (LauncherException e) {
            err.println("llamashim: " + (e.exitCode() == LauncherException.CONFIG_ERROR ? "configuration error: " : "")
                    + e.getMessage());
            return e.exitCode();
        }
    }

    private void serveUntilStopped(EffectiveConfig effective) {
        RunningLauncher running = Launcher.start(effective.config());
        LOG.info("configuration: {}", effective.configFile()
                .map(file -> "file " + file + ", then environment and flags")
                .orElse("no config file (" + ConfigLoader.DEFAULT_FILE_NAME + " not found), defaults, environment and flags"));
        // Buffered log lines are written once the last requests are logged and the launcher has stopped.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            ConsoleLogging.flush();
        }, "llamashim-stop"));
        try {
            running.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.close();
        }
    }
}
