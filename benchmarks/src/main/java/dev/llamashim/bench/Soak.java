package dev.llamashim.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.core.SseFrames;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.Launcher;
import dev.llamashim.jetty.LauncherConfig;
import dev.llamashim.jetty.LogLevel;
import dev.llamashim.jetty.RunningLauncher;
import dev.llamashim.servlet.Mode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Issue 8's soak: the launcher with the shim under closed-loop load for a bounded time, with a mix
 * of shimmed tool-call streams, pass-through requests (JSON and native streams) and faults of the
 * model server (500s, answers cut off mid-body, silence past {@code request_timeout}). Each answer
 * is checked against what that kind must get. Every 10 s it prints the answers in the interval,
 * the unexpected ones, the launcher's threads, all threads, and the heap after a full GC: flat
 * lines and no unexpected answer pass. At the end, per kind, the answers and the requests the
 * fake model server received (more requests than answers: the launcher asked again). Each request
 * carries an {@code x-soak-id}, and an unexpected answer is printed with what the fake model server
 * saw of it (received, body read, answer written or failed, on which launcher connection). Usage:
 * {@code java -cp benchmarks.jar dev.llamashim.bench.Soak [--minutes 5] [--concurrency 256] [--mode synthesize]
 * [--kinds shimmed,cut_off]} ({@code --kinds} keeps only those kinds, at their weights).
 */
public final class Soak {

    /** What a virtual client asks for, how often, and what the model server does with it. */
    enum Kind {
        /** stream:true with tools: the shim streams the upstream's tool-call JSON. */
        SHIMMED(50),
        /** stream:false without tools: the upstream's JSON passes through. */
        PLAIN(20),
        /** stream:true without tools: the upstream's own event stream passes through. */
        NATIVE(15),
        /**
         * A shimmed request the upstream answers 500 with llama-server b5478's refusal to stream,
         * whatever it asks: in mode auto a refusal-like error that stream:false gets too.
         */
        UPSTREAM_500(5),
        /** A shimmed request whose answer the upstream cuts off mid-body. */
        CUT_OFF(5),
        /** A shimmed request the upstream stays silent on past request_timeout. */
        SILENT(5);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");
    private static final Fixture CONTENT = Fixture.load("new", "content-nonstream");
    private static final Fixture NATIVE_STREAM = Fixture.load("new", "content-native-stream-no-usage");
    private static final Fixture REFUSAL = Fixture.load("old", "tool-call-stream-refused");
    private static final byte[] DONE = SseFrames.done();
    /** Requests the fake model server received, by kind: more than the answers means the launcher asked again. */
    private static final AtomicLongArray UPSTREAM_REQUESTS = new AtomicLongArray(Kind.values().length);
    /** What the fake model server saw of each request in flight, by {@code x-soak-id}; an expected answer removes its trace. */
    private static final Map<Long, Trace> TRACES = new ConcurrentHashMap<>();
    private static final long START_NANOS = System.nanoTime();

    private final AtomicLongArray answered = new AtomicLongArray(Kind.values().length);
    private final AtomicLongArray unexpected = new AtomicLongArray(Kind.values().length);
    private final AtomicLong intervalAnswers = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Map<Kind, byte[]> bodies = new EnumMap<>(Kind.class);
    private final List<Kind> kinds;
    private HttpClient client;
    private URI chat;
    private long stopAt;

    private Soak(Set<Kind> kinds) throws IOException {
        this.kinds = List.copyOf(kinds);
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode request = (ObjectNode) mapper.readTree(TOOL_CALL.requestBody());
        byte[] streamed = mapper.writeValueAsBytes(request.put("stream", true));
        bodies.put(Kind.SHIMMED, streamed);
        bodies.put(Kind.UPSTREAM_500, streamed);
        bodies.put(Kind.CUT_OFF, streamed);
        bodies.put(Kind.SILENT, streamed);
        bodies.put(Kind.PLAIN, CONTENT.requestBody());
        bodies.put(Kind.NATIVE, NATIVE_STREAM.requestBody());
    }

    /** Runs the soak; see the class comment for the options. */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        double minutes = Double.parseDouble(options.getOrDefault("minutes", "5"));
        int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "256"));
        Mode mode = Mode.parse(options.getOrDefault("mode", "synthesize"));
        EnumSet<Kind> kinds = EnumSet.allOf(Kind.class);
        if (options.containsKey("kinds")) {
            kinds.clear();
            for (String name : options.get("kinds").split(",")) {
                kinds.add(Kind.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            }
        }
        new Soak(kinds).run(Duration.ofMillis((long) (minutes * 60_000)), concurrency, mode);
    }

    private void run(Duration length, int concurrency, Mode mode) throws Exception {
        try (SoakUpstream upstream = new SoakUpstream()) {
            RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.uri())
                    .requestTimeout(REQUEST_TIMEOUT).logLevel(LogLevel.ERROR).mode(mode).build());
            client = new HttpClient();
            client.setMaxConnectionsPerDestination(concurrency * 2);
            client.start();
            chat = launcher.uri().resolve("/v1/chat/completions");
            System.out.printf(Locale.ROOT, "soak: %s, concurrency %d, mode %s, request_timeout %d s, mix %s%n",
                    length, concurrency, mode, REQUEST_TIMEOUT.toSeconds(), weights());
            System.out.println("| elapsed s | answers/s | unexpected (total) | launcher threads | JVM threads | heap after GC MiB |");
            System.out.println("|---:|---:|---:|---:|---:|---:|");
            long start = System.nanoTime();
            stopAt = start + length.toNanos();
            running.set(concurrency);
            for (int i = 0; i < concurrency; i++) {
                send();
            }
            long nextReport = start;
            while (!finished.await(Math.max(1, nextReport + 10_000_000_000L - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                nextReport += 10_000_000_000L;
                report((nextReport - start) / 1_000_000_000L, 10);
            }
            report((System.nanoTime() - start) / 1_000_000_000L, (System.nanoTime() - nextReport) / 1e9);
            System.out.println();
            System.out.println("| kind | answers | unexpected | model server requests |");
            System.out.println("|---|---:|---:|---:|");
            for (Kind kind : Kind.values()) {
                System.out.printf(Locale.ROOT, "| %s | %,d | %d | %,d |%n", kind, answered.get(kind.ordinal()),
                        unexpected.get(kind.ordinal()), UPSTREAM_REQUESTS.get(kind.ordinal()));
            }
            client.stop();
            launcher.close();
        }
    }

    private void send() {
        if (System.nanoTime() >= stopAt) {
            if (running.decrementAndGet() == 0) {
                finished.countDown();
            }
            return;
        }
        Kind kind = pick();
        long id = ids.incrementAndGet();
        Trace trace = new Trace(kind, millisSinceStart());
        TRACES.put(id, trace);
        client.newRequest(chat)
                .method(HttpMethod.POST)
                .headers(headers -> headers.put("x-soak", kind.name()).put("x-soak-id", Long.toString(id)))
                .body(new BytesRequestContent("application/json", bodies.get(kind)))
                .timeout(30, TimeUnit.SECONDS)
                .send(new BufferingResponseListener(4 * 1024 * 1024) {
                    @Override
                    public void onComplete(Result result) {
                        answered.incrementAndGet(kind.ordinal());
                        intervalAnswers.incrementAndGet();
                        if (expected(kind, result, getContent())) {
                            TRACES.remove(id);
                        } else if (unexpected.getAndIncrement(kind.ordinal()) < 5) {
                            System.out.printf(Locale.ROOT, "unexpected answer for %s (x-soak-id %d, %s, answered at %d ms): %s %s%n",
                                    kind, id, TRACES.remove(id), millisSinceStart(),
                                    result.isFailed() ? result.getFailure() : result.getResponse().getStatus(),
                                    new String(getContent(), 0, Math.min(300, getContent().length), StandardCharsets.UTF_8));
                        } else {
                            TRACES.remove(id);
                        }
                        send();
                    }
                });
    }

    private static boolean expected(Kind kind, Result result, byte[] body) {
        if (result.isFailed()) {
            return false;
        }
        int status = result.getResponse().getStatus();
        String text = new String(body, StandardCharsets.UTF_8);
        return switch (kind) {
            case SHIMMED -> status == 200 && endsWithDone(body) && text.contains("\"get_weather\"");
            case PLAIN -> status == 200 && Arrays.equals(body, CONTENT.body());
            case NATIVE -> status == 200 && Arrays.equals(body, NATIVE_STREAM.body());
            case UPSTREAM_500 -> status == 500 && Arrays.equals(body, REFUSAL.body());
            case CUT_OFF -> status == 502 && text.contains("\"upstream_error\"");
            case SILENT -> status == 504 && text.contains("\"upstream_timeout\"");
        };
    }

    private static boolean endsWithDone(byte[] body) {
        return body.length >= DONE.length && Arrays.equals(body, body.length - DONE.length, body.length, DONE, 0, DONE.length);
    }

    private Kind pick() {
        int total = 0;
        for (Kind kind : kinds) {
            total += kind.weight;
        }
        int at = ThreadLocalRandom.current().nextInt(total);
        for (Kind kind : kinds) {
            at -= kind.weight;
            if (at < 0) {
                return kind;
            }
        }
        throw new IllegalStateException("weights changed while picking");
    }

    private String weights() {
        StringBuilder mix = new StringBuilder();
        for (Kind kind : kinds) {
            mix.append(mix.length() == 0 ? "" : ", ").append(kind.name().toLowerCase(Locale.ROOT)).append(' ').append(kind.weight).append('%');
        }
        return mix.toString();
    }

    private void report(long elapsedSeconds, double intervalSeconds) {
        System.gc();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int launcherThreads = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
            if (info != null && info.getThreadName().startsWith("llamashim")) {
                launcherThreads++;
            }
        }
        long unexpectedTotal = 0;
        for (int i = 0; i < unexpected.length(); i++) {
            unexpectedTotal += unexpected.get(i);
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(Locale.ROOT, "| %d | %.0f | %d | %d | %d | %.1f |%n", elapsedSeconds,
                intervalAnswers.getAndSet(0) / Math.max(intervalSeconds, 0.001), unexpectedTotal, launcherThreads,
                threads.getThreadCount(), heap / 1048576.0);
    }

    private static long millisSinceStart() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - START_NANOS);
    }

    /**
     * One request's way through the fake model server, in milliseconds since the soak started
     * (-1: not reached), so an unexpected answer tells where it stopped: never reached the model
     * server, its body never arrived whole, its answer failed, or it was answered and then lost.
     * The fake's side is written by its threads and read once the client has its answer.
     */
    private static final class Trace {
        private final Kind kind;
        private final long sent;
        private volatile long received = -1;
        private volatile long bodyRead = -1;
        private volatile long answered = -1;
        private volatile String upstreamConnection;
        private volatile String outcome;

        Trace(Kind kind, long sent) {
            this.kind = kind;
            this.sent = sent;
        }

        /** The request reached the fake: the callback returned records how its answer ended. */
        Callback received(Request request, Callback callback) {
            received = millisSinceStart();
            upstreamConnection = String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress());
            // A second request with the same id is the launcher asking again (mode auto).
            return Callback.from(callback.getInvocationType(), () -> {
                ended("written");
                callback.succeeded();
            }, x -> {
                ended("failed: " + x);
                callback.failed(x);
            });
        }

        void bodyRead() {
            bodyRead = millisSinceStart();
        }

        private void ended(String how) {
            answered = millisSinceStart();
            outcome = how;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s sent at %d ms, model server: received %d, body read %d, answer ended %d (%s) "
                    + "from launcher port %s", kind, sent, received, bodyRead, answered, outcome, upstreamConnection);
        }
    }

    /** The fake model server: answers by the request's {@code x-soak} kind, holding no thread while it waits. */
    private static final class SoakUpstream implements AutoCloseable {
        private final Server server;
        private final ServerConnector connector;

        SoakUpstream() throws Exception {
            QueuedThreadPool pool = new QueuedThreadPool(16, 2);
            pool.setName("soak-upstream");
            server = new Server(pool);
            connector = new ServerConnector(server, 1, 1);
            connector.setHost("127.0.0.1");
            // The JDK's default backlog of 50 overflows when hundreds of connections open at once;
            // a dropped SYN is retried after 1 s, then 3 s, which looked like a silent model server.
            connector.setAcceptQueueSize(1024);
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract.NonBlocking() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    Kind kind = Kind.valueOf(request.getHeaders().get("x-soak"));
                    UPSTREAM_REQUESTS.incrementAndGet(kind.ordinal());
                    Trace trace = TRACES.get(Long.parseLong(request.getHeaders().get("x-soak-id")));
                    Callback traced = trace == null ? callback : trace.received(request, callback);
                    Content.Source.consumeAll(request, Callback.from(() -> {
                        if (trace != null) {
                            trace.bodyRead();
                        }
                        answer(kind, request, response, traced);
                    }, traced::failed));
                    return true;
                }
            });
            server.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + connector.getLocalPort());
        }

        private static void answer(Kind kind, Request request, Response response, Callback callback) {
            long delay = switch (kind) {
                case SILENT -> REQUEST_TIMEOUT.toMillis() * 2;
                case SHIMMED, NATIVE, CUT_OFF -> ThreadLocalRandom.current().nextLong(0, 100);
                default -> 0;
            };
            request.getComponents().getScheduler().schedule(() -> {
                switch (kind) {
                    case SHIMMED, SILENT -> write(response, TOOL_CALL, callback);
                    case PLAIN -> write(response, CONTENT, callback);
                    case NATIVE -> write(response, NATIVE_STREAM, callback);
                    case UPSTREAM_500 -> write(response, REFUSAL, callback);
                    case CUT_OFF -> {
                        byte[] body = TOOL_CALL.body();
                        response.setStatus(200);
                        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                        response.write(false, ByteBuffer.wrap(body, 0, body.length / 2),
                                Callback.from(() -> callback.failed(new IOException("cut off on purpose")), callback::failed));
                    }
                }
            }, delay, TimeUnit.MILLISECONDS);
        }

        private static void write(Response response, Fixture fixture, Callback callback) {
            byte[] body = fixture.body();
            response.setStatus(fixture.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, fixture.contentType());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }
}
