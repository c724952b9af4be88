package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.ServletContainer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A downstream that reads the chat body the filter replays with a {@link ReadListener} is called
 * back the way a container calls back: after its {@code setReadListener} call has returned, never
 * from inside it; with {@code onAllDataRead} once, after it has read the whole body, also when it
 * goes on reading on a thread of its own (Jetty's proxy reads on its HTTP client's threads).
 */
class ReadListenerCallbackTest {

    private static final Fixture TOOL_CALL = Fixture.load("new", "tool-call-nonstream");
    /** {@code stream:true} with tools: shimmed in every mode. */
    private static final byte[] SHIMMED = Fixture.load("new", "tool-call-native-stream").requestBody();
    /** {@code stream:false}: passed through, its body replayed. */
    private static final byte[] PASSED_THROUGH = Fixture.load("new", "content-nonstream").requestBody();

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aDownstreamReadingInItsCallbackIsCalledBackOnlyAfterSetReadListenerReturned(ServletContainer.Kind kind) throws Exception {
        readsTheWholeBodyThroughItsReadListener(kind, false);
    }

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void aDownstreamReadingOnItsOwnThreadHearsOfTheEndOnceItReadsIt(ServletContainer.Kind kind) throws Exception {
        readsTheWholeBodyThroughItsReadListener(kind, true);
    }

    private static void readsTheWholeBodyThroughItsReadListener(ServletContainer.Kind kind, boolean readsOnItsOwnThread)
            throws Exception {
        for (Mode mode : Mode.values()) {
            ListeningDownstream downstream = new ListeningDownstream(readsOnItsOwnThread);
            ShimSettings settings = ShimSettings.builder().mode(mode).build();
            try (ServletContainer container = kind.start(new ToolStreamFilter(settings), downstream, Map.of(), 16)) {
                HttpResponse<byte[]> shimmed = Http.postJson(container.baseUri().resolve("/v1/chat/completions"), SHIMMED);
                HttpResponse<byte[]> passedThrough = Http.postJson(container.baseUri().resolve("/v1/chat/completions"), PASSED_THROUGH);

                assertThat(shimmed.statusCode()).as(mode.toString()).isEqualTo(200);
                StreamContract.assertConforms(shimmed.body(), false);
                assertThat(passedThrough.statusCode()).as(mode.toString()).isEqualTo(200);
                assertThat(passedThrough.body()).as(mode + ": the body the downstream read").isEqualTo(PASSED_THROUGH);
                assertThat(downstream.callbacksInsideSetReadListener).as(mode.toString()).containsOnly(false);
                assertThat(downstream.callbacks).as(mode + ": per request").containsExactly(
                        List.of("onDataAvailable", "onAllDataRead"), List.of("onDataAvailable", "onAllDataRead"));
            }
        }
    }

    /**
     * Reads the body with a {@link ReadListener}, in its callback or (a first piece there) on a
     * thread of its own, and answers once told all data is read: a chat completion to a request
     * with tools, the body it read to any other. Records each callback, and whether it came
     * inside {@code setReadListener}.
     */
    private static final class ListeningDownstream extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final boolean readsOnItsOwnThread;
        final transient List<Boolean> callbacksInsideSetReadListener = new CopyOnWriteArrayList<>();
        final transient List<List<String>> callbacks = new CopyOnWriteArrayList<>();

        ListeningDownstream(boolean readsOnItsOwnThread) {
            this.readsOnItsOwnThread = readsOnItsOwnThread;
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            AsyncContext async = request.startAsync();
            ServletInputStream in = request.getInputStream();
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            List<String> seen = new CopyOnWriteArrayList<>();
            callbacks.add(seen);
            // Set while this thread is inside setReadListener; a callback on another thread meanwhile is fine.
            Thread[] setting = {Thread.currentThread()};
            in.setReadListener(new ReadListener() {
                @Override
                public void onDataAvailable() throws IOException {
                    record("onDataAvailable");
                    if (readsOnItsOwnThread) {
                        byte[] first = new byte[16];
                        int n = in.read(first);
                        synchronized (read) {
                            read.write(first, 0, Math.max(0, n));
                        }
                        new Thread(this::readToTheEnd, "downstream-reader").start();
                    } else {
                        readToTheEnd();
                    }
                }

                private void readToTheEnd() {
                    byte[] buffer = new byte[64];
                    try {
                        int n;
                        while (in.isReady() && (n = in.read(buffer)) >= 0) {
                            synchronized (read) {
                                read.write(buffer, 0, n);
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public void onAllDataRead() throws IOException {
                    record("onAllDataRead");
                    byte[] body;
                    synchronized (read) {
                        body = read.toByteArray();
                    }
                    boolean chat = new String(body, StandardCharsets.UTF_8).contains("\"tools\"");
                    response.setStatus(200);
                    response.setContentType("application/json");
                    response.getOutputStream().write(chat ? TOOL_CALL.body() : body);
                    async.complete();
                }

                @Override
                public void onError(Throwable failure) {
                    record("onError");
                    async.complete();
                }

                private void record(String callback) {
                    callbacksInsideSetReadListener.add(Thread.currentThread() == setting[0]);
                    seen.add(callback);
                }
            });
            setting[0] = null;
        }
    }
}
