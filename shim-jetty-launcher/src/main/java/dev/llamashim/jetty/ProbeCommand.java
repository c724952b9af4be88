package dev.llamashim.jetty;

import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar llamashim.jar probe [--model NAME] [--json] [--target-url URL] [other settings]}:
 * reads the configuration as a start would ({@code target_url}, {@code request_timeout}), runs a
 * {@link Probe} and prints its report. Exit codes: 0 when some mode serves streaming tool calls
 * from the server, 1 when none can (or the server cannot be reached or stays silent), 2 for a
 * configuration error.
 */
final class ProbeCommand {

    /** The first argument that asks for a probe. */
    static final String NAME = "probe";
    /** Exit code when no mode can serve streaming tool calls from the server. */
    static final int NOT_USABLE = 1;

    private ProbeCommand() {}

    /**
     * Runs the probe with {@code args} (those after {@code probe}).
     *
     * @throws LauncherException (configuration error) for a bad flag or setting
     */
    static int run(List<String> args, Map<String, String> env, Path workingDir, PrintStream out) {
        String model = null;
        boolean json = false;
        List<String> settings = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--json")) {
                json = true;
            } else if (arg.equals("--model")) {
                if (i + 1 >= args.size()) {
                    throw LauncherException.config("flag --model needs a value (see --help)");
                }
                model = args.get(++i);
            } else if (arg.startsWith("--model=")) {
                model = arg.substring("--model=".length());
            } else {
                settings.add(arg);
            }
        }
        CommandLine commandLine = CommandLine.parse(settings);
        LauncherConfig config = ConfigLoader.load(commandLine, env, workingDir).config();
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? config.requestTimeout() : Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        ProbeReport report = new Probe(config.targetUrl(), model, config.requestTimeout(), client).run();
        out.print(json ? report.json() : report.text());
        return report.usable() ? Cli.OK : NOT_USABLE;
    }
}
