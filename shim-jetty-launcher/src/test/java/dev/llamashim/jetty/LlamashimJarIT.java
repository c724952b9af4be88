package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shaded {@code llamashim.jar}, run as users run it: {@code java -jar}, in a process of its own. */
class LlamashimJarIT {

    private static final Pattern LISTENING = Pattern.compile("llamashim \\S+ listening on (http://127\\.0\\.0\\.1:(\\d+)),");

    private static final int MORE_REQUESTS = 200;

    @TempDir
    Path workingDir;

    private int launches;

    private FakeLlamaServer upstream;
    private Process process;
    private Path outputFile;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeLlamaServer.start();
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")));
    }

    @AfterEach
    void stop() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        upstream.close();
    }

    @Test
    void startsOnAFreePortAnswersHealthForwardsAndStopsGracefullyOnSigterm() throws Exception {
        process = launch("--proxy-port", "0", "--target-url", upstream.baseUri().toString());

        URI base = awaitListening();
        HttpResponse<String> health = Http.getText(base.resolve("/llamashim/health"));
        HttpResponse<String> models = Http.getText(base.resolve("/v1/models"));

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).isEqualTo(Fixture.load("new", "models").bodyText());
        // Access lines are buffered (ConsoleLogging): none may be lost when the process stops right after.
        for (int i = 0; i < MORE_REQUESTS; i++) {
            assertThat(Http.getText(base.resolve("/v1/models")).statusCode()).isEqualTo(200);
        }

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("the process exits after SIGTERM").isTrue();
        // 143 = 128 + SIGTERM: the JVM's exit status after its shutdown hooks ran.
        assertThat(process.exitValue()).isEqualTo(143);
        assertThat(output()).contains("llamashim stopped");
        assertThat(output().lines().filter(line -> line.contains("GET /v1/models shimmed=false status=200")))
                .hasSize(1 + MORE_REQUESTS);
    }

    @Test
    void versionAndConfigErrorsExitAsDocumented() throws Exception {
        Process version = launch("--version");
        assertThat(version.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(version.exitValue()).isZero();

        Process badPort = launch("--proxy-port", "eighty");
        assertThat(badPort.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(badPort.exitValue()).isEqualTo(2);
        assertThat(Files.readString(workingDir.resolve("out-0.log"))).contains("llamashim " + Version.current());
        assertThat(output()).contains("llamashim: configuration error: proxy_port from flag --proxy-port: expected a whole number");
    }

    private Process launch(String... args) throws IOException {
        Path jar = Path.of(System.getProperty("llamashim.jar", "target/llamashim.jar")).toAbsolutePath();
        assertThat(jar).as("the shaded jar (built in the package phase)").exists();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        // A file, not a pipe: Process.destroy() closes the pipes, and the last lines matter most.
        outputFile = workingDir.resolve("out-" + launches++ + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile())
                .redirectErrorStream(true).redirectOutput(outputFile.toFile());
        // Whatever the machine running the build has set must not change what is tested.
        builder.environment().keySet().removeIf(name -> name.startsWith("LLAMASHIM_"));
        return builder.start();
    }

    /** What the last launched process has printed so far. */
    private String output() throws IOException {
        return Files.readString(outputFile, StandardCharsets.UTF_8);
    }

    private URI awaitListening() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Matcher matcher = LISTENING.matcher(output());
            if (matcher.find()) {
                assertThat(Integer.parseInt(matcher.group(2))).isPositive();
                return URI.create(matcher.group(1));
            }
            if (!process.isAlive()) {
                throw new AssertionError("llamashim exited with " + process.exitValue() + ":\n" + output());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no 'listening on' line within 30 s:\n" + output());
    }
}
