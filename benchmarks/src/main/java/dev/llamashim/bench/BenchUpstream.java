package dev.llamashim.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
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
 * same JSON after a delay kept on Jetty's scheduler, so no thread waits for a request. Unlike the
 * tests' {@code FakeLlamaServer} it records nothing: a list of every request would grow the heap
 * being measured and cost a copy per request.
 */
final class BenchUpstream implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;
    private final byte[] answer;
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

    private final class Answer extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Content.Source.consumeAll(request, Callback.from(() -> {
                long delay = delayMillis;
                if (delay == 0) {
                    respond(response, callback);
                } else {
                    request.getComponents().getScheduler()
                            .schedule(() -> respond(response, callback), delay, TimeUnit.MILLISECONDS);
                }
            }, callback::failed));
            return true;
        }

        private void respond(Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
            response.write(true, ByteBuffer.wrap(answer), callback);
        }
    }
}
