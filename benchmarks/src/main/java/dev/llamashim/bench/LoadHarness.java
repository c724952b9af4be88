package dev.llamashim.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.Launcher;
import dev.llamashim.jetty.LauncherConfig;
import dev.llamashim.jetty.LogLevel;
import dev.llamashim.jetty.RunningLauncher;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The load harness: on 127.0.0.1 a fake llama-server answering the ~2 KB tool call ({@link Inputs#toolCall2k})
 * after a configurable delay, and in front of it nothing ({@code direct}), Jetty's stock async proxy
 * ({@code jetty}, {@link StockJettyProxy}), the launcher without the shim ({@code plain},
 * {@link Launcher#startPlainProxy}) or with it ({@code shim}); closed-loop load at each concurrency
 * and delay, every answer read to its end. Prints one Markdown row per run, then the ratios; stops by itself.
 *
 * <p>Usage: {@code java -Xmx1g -cp benchmarks/target/benchmarks.jar dev.llamashim.bench.LoadHarness
 * [--targets direct,jetty,plain,shim] [--concurrency 1,64,1024] [--delays 0,200] [--seconds 10] [--ramp-up 2] [--warmup 5]
 * [--external-url URL] [--rounds 1]}. With {@code --rounds N} each cell's window is cut into N slices and the
 * targets take turns slice by slice, in alternating order, so slow changes in the machine's load even out. The target {@code external} is a launcher started in another process (its own
 * threads, heap and file descriptors), answered by {@link BenchUpstream#main} there too.
 * The warmup runs each target once at concurrency 64 without delay; the ramp-up of each run is not measured.
 */
public final class LoadHarness {

    private static final List<String> TARGETS = List.of("direct", "jetty", "plain", "shim");
    /** Known besides {@link #TARGETS}: a shim started in another process, at {@code --external-url}. */
    private static final String EXTERNAL = "external";
    /** Longest wait for a stopped proxy's threads to end before the next run starts. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(15);
    /** CPU time of the whole JVM: client, fake upstream and proxy together. */
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private LoadHarness() {}

    /** Runs the matrix the arguments name (defaults above) and prints the results. */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        List<String> targets = List.of(options.getOrDefault("targets", String.join(",", TARGETS)).split(","));
        int[] concurrencies = ints(options.getOrDefault("concurrency", "1,64,1024"));
        int[] delays = ints(options.getOrDefault("delays", "0,200"));
        Duration window = Duration.ofSeconds(Long.parseLong(options.getOrDefault("seconds", "10")));
        Duration rampUp = Duration.ofSeconds(Long.parseLong(options.getOrDefault("ramp-up", "2")));
        Duration warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "5")));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "1"));
        Duration slice = window.dividedBy(rounds);
        int maxConcurrency = Arrays.stream(concurrencies).max().orElse(1);
        URI external = options.containsKey("external-url") ? URI.create(options.get("external-url")) : null;

        byte[] answer = Inputs.toolCall2k();
        System.out.printf(Locale.ROOT, "# %s %s, %d cores; answer %d bytes, request %d bytes%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), answer.length, body("shim").length);
        System.out.println("| target | delay ms | concurrency | req/s | p50 ms | p99 ms | errors | JVM CPU µs/req "
                + "| proxy CPU µs/req | peak JVM threads | peak proxy threads | peak heap MB | load avg (1 min) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

        QueuedThreadPool clientThreads = new QueuedThreadPool(16, 2);
        clientThreads.setName("load-client");
        HttpClient client = new HttpClient();
        client.setExecutor(clientThreads);
        client.setMaxConnectionsPerDestination(maxConcurrency);
        client.setMaxRequestsQueuedPerDestination(maxConcurrency * 2);
        client.setIdleTimeout(120_000);
        client.start();

        Map<String, LoadRun.Outcome> outcomes = new LinkedHashMap<>();
        Map<String, Double> proxyCpu = new LinkedHashMap<>();
        try (BenchUpstream upstream = new BenchUpstream(answer); ServerSampler sampler = new ServerSampler()) {
            // Compile the hot paths of every target once before anything is measured.
            for (String target : targets) {
                try (Proxy proxy = Proxy.start(target, upstream.uri(), external)) {
                    upstream.delay(0);
                    new LoadRun(client, proxy.uri().resolve("/v1/chat/completions"), body(target), streams(target),
                            answer.length).run(Math.min(64, maxConcurrency), Duration.ZERO, warmup);
                }
            }
            // Targets take turns within each delay and concurrency, so a change in the machine's
            // other load falls on all of them alike; each run gets a fresh proxy, so its thread peak is its own.
            for (int delay : delays) {
                for (int concurrency : concurrencies) {
                    Map<String, Tally> tallies = new LinkedHashMap<>();
                    for (int round = 0; round < rounds; round++) {
                        // Slices alternate in order, so a change in the machine's load falls on every target alike.
                        List<String> order = new ArrayList<>(targets);
                        if (round % 2 == 1) {
                            Collections.reverse(order);
                        }
                        for (String target : order) {
                            Tally tally = tallies.computeIfAbsent(target, t -> new Tally());
                            try (Proxy proxy = Proxy.start(target, upstream.uri(), external)) {
                                URI uri = proxy.uri().resolve("/v1/chat/completions");
                                upstream.delay(delay);
                                sampler.reset(proxy.threadPrefix());
                                long cpuBefore = OS.getProcessCpuTime();
                                long proxyCpuBefore = proxy.threadPrefix().isEmpty() ? 0 : sampler.cpuNanos(proxy.threadPrefix());
                                LoadRun.Outcome outcome = new LoadRun(client, uri, body(target), streams(target), answer.length)
                                        .run(concurrency, rampUp, slice);
                                long cpuNanos = OS.getProcessCpuTime() - cpuBefore;
                                long proxyCpuNanos = proxy.threadPrefix().isEmpty() ? 0
                                        : sampler.cpuNanos(proxy.threadPrefix()) - proxyCpuBefore;
                                // The ramp-up's requests used CPU too; count the window's share of the slice.
                                double share = outcome.seconds() / (outcome.seconds() + rampUp.toNanos() / 1e9);
                                tally.add(outcome, cpuNanos * share, proxyCpuNanos * share, sampler.reset(""),
                                        !proxy.threadPrefix().isEmpty());
                            }
                        }
                    }
                    for (Map.Entry<String, Tally> entry : tallies.entrySet()) {
                        String target = entry.getKey();
                        Tally tally = entry.getValue();
                        LoadRun.Outcome outcome = tally.outcome();
                        double perRequest = 1e-3 / Math.max(1, outcome.requests());
                        outcomes.put(target + "/" + delay + "/" + concurrency, outcome);
                        proxyCpu.put(target + "/" + delay + "/" + concurrency, tally.proxyCpuNanos * perRequest);
                        System.out.printf(Locale.ROOT, "| %s | %d | %d | %,.0f | %.2f | %.2f | %d | %,.0f | %s | %d | %s | %d | %s |%n",
                                target, delay, concurrency, outcome.throughput(), outcome.percentileMillis(0.50),
                                outcome.percentileMillis(0.99), outcome.errors(), tally.cpuNanos * perRequest,
                                tally.hasProxyThreads ? String.format(Locale.ROOT, "%,.0f", tally.proxyCpuNanos * perRequest) : "–",
                                tally.jvmThreads, tally.hasProxyThreads ? String.valueOf(tally.proxyThreads) : "–",
                                tally.heapBytes / (1024 * 1024), loadAverage());
                    }
                }
            }
        } finally {
            client.stop();
        }
        printRatios(outcomes, concurrencies, delays);
        for (String baseline : List.of("plain", "jetty")) {
            Double shim = proxyCpu.get("shim/0/64");
            Double other = proxyCpu.get(baseline + "/0/64");
            if (shim != null && other != null) {
                System.out.printf(Locale.ROOT, "shim - %s proxy CPU per request, concurrency 64, delay 0: %+.0f µs (%.0f vs %.0f)%n",
                        baseline, shim - other, shim, other);
            }
        }
    }

    /** The shim, here or in another process, gets {@code stream:true}; the others the same request with {@code stream:false}. */
    private static boolean streams(String target) {
        return target.equals("shim") || target.equals(EXTERNAL);
    }

    private static void printRatios(Map<String, LoadRun.Outcome> outcomes, int[] concurrencies, int[] delays) {
        System.out.println();
        LoadRun.Outcome shim64 = outcomes.get("shim/0/64");
        for (String baseline : List.of("plain", "jetty")) {
            LoadRun.Outcome baseline64 = outcomes.get(baseline + "/0/64");
            if (shim64 != null && baseline64 != null) {
                System.out.printf(Locale.ROOT, "shim / %s throughput, concurrency 64, delay 0: %.3f (target >= 0.90)%n",
                        baseline, shim64.throughput() / baseline64.throughput());
            }
        }
        for (int delay : delays) {
            LoadRun.Outcome shim1 = outcomes.get("shim/" + delay + "/1");
            for (String baseline : List.of("plain", "jetty")) {
                LoadRun.Outcome baseline1 = outcomes.get(baseline + "/" + delay + "/1");
                if (shim1 != null && baseline1 != null) {
                    System.out.printf(Locale.ROOT, "shim p50 - %s p50, concurrency 1, delay %d: %.3f ms (target < 1 ms)%n",
                            baseline, delay, shim1.percentileMillis(0.5) - baseline1.percentileMillis(0.5));
                }
            }
            if (delay == 0) {
                continue;
            }
            for (int concurrency : concurrencies) {
                for (String target : List.of("direct", "jetty", "plain", "shim", EXTERNAL)) {
                    LoadRun.Outcome outcome = outcomes.get(target + "/" + delay + "/" + concurrency);
                    if (outcome != null) {
                        double ideal = concurrency / (delay / 1000.0);
                        System.out.printf(Locale.ROOT, "%s, delay %d, concurrency %d: %.0f req/s = %.3f of %.0f (target >= 0.95)%n",
                                target, delay, concurrency, outcome.throughput(), outcome.throughput() / ideal, ideal);
                    }
                }
            }
        }
    }

    /** One target's slices of one delay and concurrency, added up. */
    private static final class Tally {
        private long requests;
        private double seconds;
        private long errors;
        private final List<long[]> latencies = new ArrayList<>();
        private double cpuNanos;
        private double proxyCpuNanos;
        private int jvmThreads;
        private int proxyThreads;
        private long heapBytes;
        private boolean hasProxyThreads;

        void add(LoadRun.Outcome outcome, double cpu, double proxyCpu, ServerSampler.Peaks peaks, boolean proxyThreadsKnown) {
            requests += outcome.requests();
            seconds += outcome.seconds();
            errors += outcome.errors();
            latencies.add(outcome.latenciesNanos());
            cpuNanos += cpu;
            proxyCpuNanos += proxyCpu;
            jvmThreads = Math.max(jvmThreads, peaks.jvmThreads);
            proxyThreads = Math.max(proxyThreads, peaks.proxyThreads);
            heapBytes = Math.max(heapBytes, peaks.heapBytes);
            hasProxyThreads = proxyThreadsKnown;
        }

        /** All slices as one run: their answers over their windows' total time. */
        LoadRun.Outcome outcome() {
            long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return new LoadRun.Outcome(requests, seconds, errors, all);
        }
    }

    /** What stands between the load and the fake llama-server: nothing, Jetty's stock proxy, or the launcher without or with the shim. */
    private record Proxy(URI uri, String threadPrefix, AutoCloseable stop) implements AutoCloseable {
        static Proxy start(String target, URI upstream, URI external) throws Exception {
            if (target.equals(EXTERNAL)) {
                if (external == null) {
                    throw new IllegalArgumentException("target external needs --external-url");
                }
                return new Proxy(external, "", () -> { });
            }
            LauncherConfig config = LauncherConfig.builder().proxyPort(0).targetUrl(upstream).logLevel(LogLevel.WARN).build();
            return switch (target) {
                case "direct" -> new Proxy(upstream, "", () -> { });
                case "jetty" -> {
                    StockJettyProxy jetty = new StockJettyProxy(upstream);
                    yield new Proxy(jetty.uri(), StockJettyProxy.THREADS, jetty);
                }
                case "plain" -> launcher(Launcher.startPlainProxy(config));
                case "shim" -> launcher(Launcher.start(config));
                default -> throw new IllegalArgumentException("unknown target " + target + "; known: " + TARGETS);
            };
        }

        /** The launcher's pool is called {@code llamashim}. */
        private static Proxy launcher(RunningLauncher launcher) {
            return new Proxy(launcher.uri(), "llamashim", launcher);
        }

        @Override
        public void close() throws Exception {
            stop.close();
            // A stopped pool's threads take a moment to end; the next run's thread peak must not count them.
            long deadline = System.nanoTime() + STOP_WAIT.toNanos();
            while (!threadPrefix.isEmpty() && liveThreads(threadPrefix) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        private static long liveThreads(String prefix) {
            return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
        }
    }

    /**
     * The captured request with tools, as a streaming client sends it to the shim ({@code stream:true}),
     * or with {@code stream:false} to the others, which answer with the upstream's JSON as it is.
     */
    private static byte[] body(String target) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode request = (ObjectNode) mapper.readTree(Fixture.load("new", "tool-call-nonstream").requestBody());
        request.put("stream", streams(target));
        return mapper.writeValueAsBytes(request);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + List.of(args));
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    private static int[] ints(String list) {
        List<Integer> values = new ArrayList<>();
        for (String value : list.split(",")) {
            values.add(Integer.parseInt(value.trim()));
        }
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
