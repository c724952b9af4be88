package dev.llamashim.jetty;

/** The {@code --help} text, with every key's flag, environment variable, default and valid values. */
final class Usage {

    private Usage() {}

    static String text() {
        StringBuilder text = new StringBuilder();
        text.append("""
                Usage: java -jar llamashim.jar [--config PATH] [--KEY VALUE ...] [--check-config | --help | --version]
                       java -jar llamashim.jar probe [--model NAME] [--json] [--api-key KEY] [--total-timeout SECONDS]
                                                     [--config PATH] [--KEY VALUE ...]

                llamashim forwards every request to an OpenAI-compatible model server (llama-server) and
                answers stream:true chat requests with tools as a proper stream, asking the server for
                one JSON answer. GET /llamashim/health answers {"status":"ok"} without asking the server.

                  --config PATH    config file; without it $LLAMASHIM_CONFIG, else ./config.yaml if present
                  --check-config   print the effective configuration, with each value's source, and exit
                  --help, -h       print this text and exit
                  --version, -V    print the version and exit

                probe asks the model server at target_url a few small requests (tools with and without
                stream, usage) and prints what it does wrong and which mode serves it; --json for scripts.
                It checks TLS as verify_ssl says. An API key (--api-key, else $LLAMASHIM_PROBE_API_KEY, else
                $OPENAI_API_KEY) goes in each request's Authorization header and is never printed. Each
                request waits at most request_timeout, the whole probe --total-timeout (default three
                request_timeouts). Exit 0 when some mode works, 1 when none does.

                Settings. Each is a config.yaml key, overridden by its LLAMASHIM_<KEY> environment
                variable, overridden by its flag (both --key VALUE and --key=VALUE work):
                """);
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            appendKey(text, key);
        }
        text.append("""

                Exit codes: 0 ok; 1 could not start (e.g. port in use); 2 configuration error.
                SIGTERM or SIGINT stop it gracefully, waiting up to 8 s for requests in flight
                (the JVM then exits with 143 or 130).
                """);
        return text.toString();
    }

    private static <T> void appendKey(StringBuilder text, ConfigKey<T> key) {
        text.append("\n  ").append(key.name())
                .append("   ").append(key.flag())
                .append("   ").append(key.envName())
                .append("\n      default ").append(key.print(key.defaultValue()))
                .append("; ").append(key.expected())
                .append('\n');
    }
}
