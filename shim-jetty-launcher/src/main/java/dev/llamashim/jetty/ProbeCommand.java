package dev.llamashim.jetty;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar llamashim.jar probe [--model NAME] [--json] [--api-key KEY] [--total-timeout SECONDS]
 * [--target-url URL] [other settings]}: reads the configuration as a start would ({@code target_url},
 * {@code request_timeout}, {@code verify_ssl}), runs a {@link Probe} and prints its report. The API
 * key comes from {@code --api-key}, else {@value #API_KEY_ENV}, else {@value #OPENAI_API_KEY_ENV}, and
 * never appears in the output. Exit codes: 0 when some mode serves streaming tool calls from the
 * server, 1 when none can (or the server cannot be reached or stays silent), 2 for a configuration error.
 */
final class ProbeCommand {

    /** The first argument that asks for a probe. */
    static final String NAME = "probe";
    /** Exit code when no mode can serve streaming tool calls from the server. */
    static final int NOT_USABLE = 1;
    /** The environment variable the API key is read from first. */
    static final String API_KEY_ENV = "LLAMASHIM_PROBE_API_KEY";
    /** The environment variable the API key is read from when {@link #API_KEY_ENV} is not set. */
    static final String OPENAI_API_KEY_ENV = "OPENAI_API_KEY";
    /** The whole probe's bound, unless {@code --total-timeout} says otherwise: this many {@code request_timeout}s. */
    static final int DEFAULT_TOTAL_TIMEOUTS = 3;

    private ProbeCommand() {}

    /**
     * Runs the probe with {@code args} (those after {@code probe}).
     *
     * @throws LauncherException (configuration error) for a bad flag or setting
     */
    static int run(List<String> args, Map<String, String> env, Path workingDir, PrintStream out) {
        String model = null;
        String apiKey = null;
        String totalTimeout = null;
        boolean json = false;
        List<String> settings = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--json")) {
                json = true;
            } else if (arg.equals("--model") || arg.equals("--api-key") || arg.equals("--total-timeout")) {
                if (i + 1 >= args.size()) {
                    throw LauncherException.config("flag " + arg + " needs a value (see --help)");
                }
                String value = args.get(++i);
                switch (arg) {
                    case "--model" -> model = value;
                    case "--api-key" -> apiKey = value;
                    default -> totalTimeout = value;
                }
            } else if (arg.startsWith("--model=")) {
                model = arg.substring("--model=".length());
            } else if (arg.startsWith("--api-key=")) {
                apiKey = arg.substring("--api-key=".length());
            } else if (arg.startsWith("--total-timeout=")) {
                totalTimeout = arg.substring("--total-timeout=".length());
            } else {
                settings.add(arg);
            }
        }
        CommandLine commandLine = CommandLine.parse(settings);
        LauncherConfig config = ConfigLoader.load(commandLine, env, workingDir).config();
        String key = apiKey(apiKey, env);
        Duration total = totalTimeout == null
                ? config.requestTimeout().multipliedBy(DEFAULT_TOTAL_TIMEOUTS) : seconds(totalTimeout);
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? config.requestTimeout() : Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(UpstreamTls.sslContext(config.verifySsl()))
                .build();
        ProbeReport report = new Probe(config.targetUrl(), model, config.requestTimeout(), total, key, client).run();
        String printed = json ? report.json() : report.text();
        // A server may echo what it was sent (an error quoting the header): the key is never printed.
        out.print(key == null ? printed : printed.replace(key, "***"));
        return report.usable() ? Cli.OK : NOT_USABLE;
    }

    /** The first of {@code --api-key}, {@value #API_KEY_ENV}, {@value #OPENAI_API_KEY_ENV} that is not blank, else {@code null}. */
    private static String apiKey(String flag, Map<String, String> env) {
        for (String candidate : new String[] {flag, env.get(API_KEY_ENV), env.get(OPENAI_API_KEY_ENV)}) {
            if (candidate != null && !candidate.isBlank()) {
                return candidate.strip();
            }
        }
        return null;
    }

    private static Duration seconds(String text) {
        try {
            BigDecimal seconds = new BigDecimal(text.trim());
            if (seconds.signum() > 0) {
                return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // Said below.
        }
        throw LauncherException.config("flag --total-timeout: expected a number of seconds greater than 0,"
                + " such as 60 or 2.5, got \"" + text + "\"");
    }
}
