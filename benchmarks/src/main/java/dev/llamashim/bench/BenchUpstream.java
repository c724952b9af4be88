package dev.llamashim.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The load harness's fake llama-server on 127.0.0.1: reads each request, then answers 200 with the
 * same JSON after a delay kept on Jetty's scheduler, so no thread waits for a request. A request
 * whose body holds {@code "stream":true} gets a token stream instead: {@value #STREAM_EVENTS} SSE
 * events ({@code [DONE]} included), one every {@value #EVENT_PACE_MILLIS} ms. A query
 * {@code delay_ms=N} sets that request's delay (for clients that can only vary the URL). Unlike the
 * tests' {@code FakeLlamaServer} it records nothing: a list of every request would grow the heap
 * being measured and cost a copy per request.
 */
final class BenchUpstream implements AutoCloseable {

    /** Events in a token stream answer, {@code data: [DONE]} included. */
    static final int STREAM_EVENTS = 30;
    /** Milliseconds between two events of a token stream. */
    static final long EVENT_PACE_MILLIS = 1;

    private static final Pattern STREAM_TRUE = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final Pattern DELAY_QUERY = Pattern.compile("(?:^|&)delay_ms=(\\d+)");

    private final Server server;
    private final ServerConnector connector;
    private final byte[] answer;
    private final ByteBuffer[] events = tokenStream();
    private volatile long delayMillis;

    /**
     * Runs the fake alone, for a launcher in another process: {@code java -cp benchmarks.jar
     * dev.llamashim.bench.BenchUpstream PORT DELAY_MS} answers {@link Inputs#toolCall2k} until killed.
     */
    public static void main(String[] args) throws Exception {
        BenchUpstream upstream = new BenchUpstream(Inputs.toolCall2k(), Integer.parseInt(args[0]));
        upstream.delay(Long.parseLong(args[1]));
        System.out.println("bench upstream on " + upstream.uri() + ", delay " + args[1] + " ms");
        upstream.server.join();
    }

    BenchUpstream(byte[] answer) throws Exception {
        this(answer, 0);
    }

    private BenchUpstream(byte[] answer, int port) throws Exception {
        this.answer = answer.clone();
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("bench-upstream");
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        // The proxies open up to max_upstream_connections at once; the JVM's default backlog is 50.
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.setHandler(new Answer());
        server.start();
    }

    /** How long each answer waits from now on. */
    void delay(long millis) {
        delayMillis = millis;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** llama-server's chunks as it streams a plain answer: a role, tokens, a finish reason, then {@code [DONE]}. */
    private static ByteBuffer[] tokenStream() {
        String head = "data: {\"choices\":[{\"finish_reason\":";
        String tail = "}],\"created\":1795796157,\"id\":\"chatcmpl-MnzNfZcKyHf5uzXTFtpZ6oZgmBKxWsH2\","
                + "\"model\":\"tiny.gguf\",\"system_fingerprint\":\"b0-unknown\",\"object\":\"chat.completion.chunk\"}\n\n";
        ByteBuffer[] events = new ByteBuffer[STREAM_EVENTS];
        events[0] = event(head + "null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}" + tail);
        for (int i = 1; i < STREAM_EVENTS - 2; i++) {
            events[i] = event(head + "null,\"index\":0,\"delta\":{\"content\":\" token" + i + "\"}" + tail);
        }
        events[STREAM_EVENTS - 2] = event(head + "\"stop\",\"index\":0,\"delta\":{}" + tail);
        events[STREAM_EVENTS - 1] = event("data: [DONE]\n\n");
        return events;
    }

    private static ByteBuffer event(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
    }

    private final class Answer extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Content.Source.asStringAsync(request, StandardCharsets.UTF_8).whenComplete((body, failure) -> {
                if (failure != null) {
                    callback.failed(failure);
                    return;
                }
                boolean stream = STREAM_TRUE.matcher(body).find();
                Runnable answer = stream ? () -> stream(request, response, callback, 0) : () -> respond(response, callback);
                long delay = delay(request);
                if (delay == 0) {
                    answer.run();
                } else {
                    request.getComponents().getScheduler().schedule(answer, delay, TimeUnit.MILLISECONDS);
                }
            });
            return true;
        }

        private long delay(Request request) {
            String query = request.getHttpURI().getQuery();
            if (query != null) {
                Matcher delay = DELAY_QUERY.matcher(query);
                if (delay.find()) {
                    return Long.parseLong(delay.group(1));
                }
            }
            return delayMillis;
        }

        /** Writes event {@code next}, and once it is out schedules the one after it. */
        private void stream(Request request, Response response, Callback callback, int next) {
            if (next == 0) {
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
            }
            boolean last = next == events.length - 1;
            response.write(last, events[next].slice(), last ? callback : Callback.from(
                    () -> request.getComponents().getScheduler().schedule(
                            () -> stream(request, response, callback, next + 1), EVENT_PACE_MILLIS, TimeUnit.MILLISECONDS),
                    callback::failed));
        }

        private void respond(Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
            response.write(true, ByteBuffer.wrap(answer), callback);
        }
    }
}
