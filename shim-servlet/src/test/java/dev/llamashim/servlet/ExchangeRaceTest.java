package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.ServletContainer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Thousands of shimmed requests in which a heartbeat, the forwarder's answer (complete() or a
 * dispatch), a client hang-up and the async timeout land in random order, on Jetty and on Tomcat.
 * No request may hang (every wait is bounded; a thread dump says where one stuck), nothing may be
 * written after the end of a response (the client reads to the connection's close), and every
 * client that stayed gets a complete, valid answer: the tool call, or, only when its request
 * timed out, the 504 timeout (as JSON, or as an error event and {@code [DONE]} once the stream
 * had started). Every exchange's record reaches the {@link ShimListener}.
 *
 * <p>{@code -Drace.requests=N} runs more (1,000 per container by default), {@code -Drace.seed=…}
 * replays a run's plans, {@code -Drace.heartbeat=0} turns heartbeats off and
 * {@code -Drace.timeoutTenths=0} async timeouts.
 */
class ExchangeRaceTest {

    private static final int REQUESTS = Integer.getInteger("race.requests", 1_000);
    private static final int CLIENTS = 24;
    private static final byte[] JSON_ANSWER = Fixture.load("new", "tool-call-nonstream").body();
    private static final Fixture NATIVE_STREAM = Fixture.load("new", "tool-call-native-stream");
    private static final byte[] SSE_ANSWER = NATIVE_STREAM.body();
    private static final byte[] REQUEST_BODY = NATIVE_STREAM.requestBody();
    private static final String DONE = "data: [DONE]\n\n";
    /** Errors (a failed assertion, say) the forwarder's writes ran into; there must be none. */
    private static final List<Throwable> FORWARDER_ERRORS = new CopyOnWriteArrayList<>();

    /** What one request does; chosen at random, sent to the forwarder in a header. */
    private record Plan(int answerMillis, int timeoutMillis, boolean sse, boolean dispatch, int hangUpMillis) {

        static Plan random(Random random) {
            int timeout = random.nextInt(10) < Integer.getInteger("race.timeoutTenths", 4) ? 5 + random.nextInt(40) : 30_000;
            int hangUp = random.nextInt(10) < 3 ? random.nextInt(50) : -1;
            return new Plan(random.nextInt(40), timeout, random.nextBoolean(), random.nextInt(5) == 0, hangUp);
        }

        boolean mayTimeOut() {
            return timeoutMillis < 30_000;
        }

        String header() {
            return answerMillis + "," + timeoutMillis + "," + sse + "," + dispatch;
        }
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void heartbeatsAnswersHangUpsAndTimeoutsInAnyOrder(ServletContainer.Kind kind) throws Exception {
        long seed = Long.getLong("race.seed", System.nanoTime());
        AtomicInteger ended = new AtomicInteger();
        ShimListener counting = new ShimListener() {
            @Override
            public void requestEnded(ShimRecord record) {
                ended.incrementAndGet();
            }
        };
        ShimSettings settings = ShimSettings.builder().mode(Mode.REPAIR)
                .heartbeat(Duration.ofMillis(Long.getLong("race.heartbeat", 3))).build();
        ScheduledExecutorService forwarderTimer = Executors.newScheduledThreadPool(4);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try (ServletContainer container = kind.start(new ToolStreamFilter(settings, counting),
                new RacingForwarder(forwarderTimer), Map.of(), 64)) {
            List<Plan> plans = new ArrayList<>();
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                Plan plan = Plan.random(new Random(seed + i));
                plans.add(plan);
                results.add(clients.submit(() -> exchange(container.baseUri().getPort(), plan)));
            }
            clients.shutdown();
            if (!clients.awaitTermination(90, TimeUnit.SECONDS)) {
                fail("clients still waiting after 90 s (seed " + seed + ")\n" + threadDump());
            }
            Map<String, Integer> tally = new TreeMap<>();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String outcome = results.get(i).get();
                tally.merge(outcome.startsWith("FAIL") ? "FAIL" : outcome, 1, Integer::sum);
                if (outcome.startsWith("FAIL")) {
                    failures.add("#" + i + " " + plans.get(i) + ": " + outcome);
                }
            }
            System.out.println(kind + " race (seed " + seed + "): " + tally);
            assertThat(FORWARDER_ERRORS).as("errors thrown into the forwarder's writes").isEmpty();
            assertThat(failures).as("clients that stayed and got no complete answer (seed %d, %s)", seed, tally).isEmpty();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (ended.get() < REQUESTS && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (ended.get() != REQUESTS) {
                fail("only " + ended.get() + " of " + REQUESTS + " exchanges ended (seed " + seed + ")\n" + threadDump());
            }
        } finally {
            clients.shutdownNow();
            forwarderTimer.shutdownNow();
        }
    }

    /** One client: its outcome, or {@code FAIL: why}. */
    private static String exchange(int port, Plan plan) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Connection: close\r\nX-Race: " + plan.header() + "\r\nContent-Length: " + REQUEST_BODY.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(REQUEST_BODY);
            out.flush();
            if (plan.hangUpMillis() >= 0) {
                Thread.sleep(plan.hangUpMillis());
                if (plan.hangUpMillis() % 2 == 0) {
                    socket.setSoLinger(true, 0); // A reset rather than a close.
                }
                return "HUNG_UP";
            }
            return judge(plan, socket.getInputStream().readAllBytes());
        } catch (IOException e) {
            return plan.hangUpMillis() >= 0 ? "HUNG_UP" : "FAIL: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "FAIL: interrupted";
        }
    }

    /** What a client that stayed got, read to the connection's close. */
    private static String judge(Plan plan, byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return "FAIL: no complete head in " + raw.length + " bytes";
        }
        String head = text.substring(0, headEnd).toLowerCase();
        String status = head.substring(0, Math.min(12, head.length()));
        byte[] rest = Arrays.copyOfRange(raw, headEnd + 4, raw.length);
        byte[] body;
        if (head.contains("transfer-encoding: chunked")) {
            body = dechunk(rest);
            if (body == null) {
                return "FAIL: chunked body not ended by its last chunk, or bytes after it (" + status + "): " + tail(text);
            }
        } else if (lengthOf(head) < 0) {
            body = rest; // Delimited by the connection's close (the client asked for it to close).
        } else {
            int length = lengthOf(head);
            if (length != rest.length) {
                return "FAIL: Content-Length " + length + " but " + rest.length + " bytes (" + status + ")";
            }
            body = rest;
        }
        String content = new String(body, StandardCharsets.UTF_8);
        if (status.startsWith("http/1.1 200") && head.contains("text/event-stream")) {
            if (!content.endsWith(DONE) || content.indexOf(DONE) != content.length() - DONE.length()) {
                return "FAIL: a stream without one [DONE] at its end: " + tail(content);
            }
            if (content.contains("\"upstream_timeout\"")) {
                return plan.mayTimeOut() ? "TIMED_OUT_IN_STREAM" : "FAIL: timed out without a timeout: " + tail(content);
            }
            String events = content.replace(": keep-alive\n\n", "");
            if (events.contains("\"tool_calls\"") && events.contains("\"finish_reason\":\"tool_calls\"")
                    && events.startsWith("data: ")) {
                return "ANSWERED";
            }
            return "FAIL: an incomplete stream: " + tail(content);
        }
        if (status.startsWith("http/1.1 504") && content.contains("\"upstream_timeout\"")) {
            return plan.mayTimeOut() ? "TIMED_OUT" : "FAIL: 504 without a timeout";
        }
        return "FAIL: " + status + " " + tail(content);
    }

    /** The body of a chunked message, or {@code null} unless it ends with the last chunk and nothing after. */
    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = indexOfCrlf(chunked, at);
            if (lineEnd < 0) {
                return null;
            }
            int size;
            try {
                size = Integer.parseInt(new String(chunked, at, lineEnd - at, StandardCharsets.US_ASCII).split(";")[0].trim(), 16);
            } catch (NumberFormatException e) {
                return null;
            }
            at = lineEnd + 2;
            if (size == 0) {
                // No trailers: the blank line, then the connection closes.
                return at + 2 == chunked.length && chunked[at] == '\r' && chunked[at + 1] == '\n' ? body.toByteArray() : null;
            }
            if (at + size + 2 > chunked.length) {
                return null;
            }
            body.write(chunked, at, size);
            at += size + 2;
        }
    }

    private static int indexOfCrlf(byte[] bytes, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int lengthOf(String head) {
        for (String line : head.split("\r\n")) {
            if (line.startsWith("content-length:")) {
                return Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        return -1;
    }

    private static String tail(String text) {
        return text.length() <= 200 ? text : "…" + text.substring(text.length() - 200);
    }

    private static String threadDump() {
        StringBuilder dump = new StringBuilder();
        for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            dump.append(thread);
        }
        return dump.toString();
    }

    /**
     * A forwarder that answers after a random delay from a timer thread, as JSON or as its own
     * event stream (in two pieces), by {@code complete()} or in a {@code dispatch()}; it sets the
     * async timeout it was told to, and carries on regardless of timeouts and hang-ups.
     */
    private static final class RacingForwarder extends HttpServlet {

        private final ScheduledExecutorService timer;

        RacingForwarder(ScheduledExecutorService timer) {
            this.timer = timer;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String[] plan = request.getHeader("X-Race").split(",");
            boolean sse = Boolean.parseBoolean(plan[2]);
            if (request.getDispatcherType() == DispatcherType.ASYNC) {
                answer(response, sse, false);
                return;
            }
            try (InputStream in = request.getInputStream()) {
                in.readAllBytes();
            }
            AsyncContext async = request.startAsync();
            async.setTimeout(Integer.parseInt(plan[1]));
            boolean dispatch = Boolean.parseBoolean(plan[3]);
            timer.schedule(() -> {
                if (dispatch) {
                    try {
                        async.dispatch();
                    } catch (IllegalStateException e) {
                        // The request ended first (timeout, hang-up).
                    }
                    return;
                }
                try {
                    answer(response, sse, true);
                } catch (IOException | RuntimeException e) {
                    // The exchange ended first; a real proxy gives up too.
                } catch (Error e) {
                    FORWARDER_ERRORS.add(e);
                    throw e;
                } finally {
                    async.complete();
                }
            }, Integer.parseInt(plan[0]), TimeUnit.MILLISECONDS);
        }

        private static void answer(HttpServletResponse response, boolean sse, boolean pause) throws IOException {
            response.setStatus(200);
            if (!sse) {
                response.setContentType("application/json");
                response.getOutputStream().write(JSON_ANSWER);
                return;
            }
            response.setContentType("text/event-stream");
            OutputStream out = response.getOutputStream();
            int half = SSE_ANSWER.length / 2;
            out.write(SSE_ANSWER, 0, half);
            out.flush();
            if (pause) {
                LockSupport.parkNanos(500_000); // The timer thread: heartbeats may come in between.
            }
            out.write(SSE_ANSWER, half, SSE_ANSWER.length - half);
            out.flush();
        }
    }
}
