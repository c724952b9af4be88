package dev.llamashim.examples.demo;

import dev.llamashim.jetty.Launcher;
import dev.llamashim.jetty.LauncherConfig;
import dev.llamashim.jetty.RunningLauncher;
import java.net.URI;

/**
 * Try llamashim without a model: a canned llama-server that answers every chat request with one
 * captured tool call, and the launcher in front of it, both in this process.
 */
public final class Demo implements AutoCloseable {

    /** A streamed chat request with a tool, as an agent framework sends it. */
    public static final String REQUEST = "{\"model\":\"tiny\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"location\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\"}}}}}]}";

    private final CannedModelServer model;
    private final RunningLauncher launcher;

    private Demo(CannedModelServer model, RunningLauncher launcher) {
        this.model = model;
        this.launcher = launcher;
    }

    /** Starts the canned model server, then llamashim on 127.0.0.1:{@code port} (0 picks a free one) in front of it. */
    public static Demo start(int port) {
        CannedModelServer model = CannedModelServer.start();
        try {
            return new Demo(model, Launcher.start(LauncherConfig.builder().proxyPort(port).targetUrl(model.uri()).build()));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Where llamashim listens, e.g. {@code http://127.0.0.1:8066}. */
    public URI uri() {
        return launcher.uri();
    }

    /** The {@code curl} command that shows the synthesized stream. */
    public String curlCommand() {
        return "curl -N " + uri() + "/v1/chat/completions -H 'Content-Type: application/json' -d '" + REQUEST + "'";
    }

    @Override
    public void close() {
        try {
            launcher.close();
        } finally {
            model.close();
        }
    }

    /**
     * Runs the demo until stopped (Ctrl-C) and prints the command to try it.
     *
     * @param args the port llamashim listens on (default 8066)
     */
    public static void main(String[] args) throws InterruptedException {
        try (Demo demo = start(args.length > 0 ? Integer.parseInt(args[0]) : 8066)) {
            System.out.println();
            System.out.println("llamashim is on " + demo.uri() + ", in front of a canned llama-server. See the stream:");
            System.out.println();
            System.out.println(demo.curlCommand());
            System.out.println();
            demo.launcher.join();
        }
    }
}
