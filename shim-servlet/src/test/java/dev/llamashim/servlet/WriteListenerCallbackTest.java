package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.core.testing.StreamContract;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.ServletContainer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A downstream with non-blocking output is called back the way a container calls back: after its
 * {@code setWriteListener} call has returned, never from inside it. Jetty's proxy hands a piece of
 * the answer over and sets its listener in one call; being called back inside it lost other
 * requests' answers under load (BENCHMARKS.md, the soak).
 */
class WriteListenerCallbackTest {

    @ParameterizedTest
    @EnumSource(ServletContainer.Kind.class)
    void theDownstreamsWriteListenerIsCalledBackOnlyAfterSetWriteListenerReturned(ServletContainer.Kind kind) throws Exception {
        Fixture answer = Fixture.load("new", "tool-call-nonstream");
        NonBlockingAnswer downstream = new NonBlockingAnswer(answer.body());
        for (Mode mode : Mode.values()) {
            downstream.callbacksInsideSetWriteListener.clear();
            ShimSettings settings = ShimSettings.builder().mode(mode).build();
            try (ServletContainer container = kind.start(new ToolStreamFilter(settings), downstream, Map.of(), 16)) {
                HttpResponse<byte[]> response = Http.postJson(container.baseUri().resolve("/v1/chat/completions"),
                        Fixture.load("new", "tool-call-native-stream").requestBody());

                assertThat(response.statusCode()).as(mode.toString()).isEqualTo(200);
                StreamContract.assertConforms(response.body(), false);
                assertThat(downstream.callbacksInsideSetWriteListener).as(mode.toString()).containsOnly(false);
            }
        }
    }

    /** Answers a chat completion's JSON with non-blocking output, recording whether each callback came inside setWriteListener. */
    private static final class NonBlockingAnswer extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final byte[] body;
        final transient List<Boolean> callbacksInsideSetWriteListener = new CopyOnWriteArrayList<>();

        NonBlockingAnswer(byte[] body) {
            this.body = body;
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            request.getInputStream().readAllBytes();
            AsyncContext async = request.startAsync();
            response.setStatus(200);
            response.setContentType("application/json");
            ServletOutputStream out = response.getOutputStream();
            // Set while this thread is inside setWriteListener; a callback on another thread meanwhile is fine.
            Thread[] setting = {Thread.currentThread()};
            out.setWriteListener(new WriteListener() {
                private boolean written;

                @Override
                public void onWritePossible() throws IOException {
                    callbacksInsideSetWriteListener.add(Thread.currentThread() == setting[0]);
                    if (!written && out.isReady()) {
                        written = true;
                        out.write(body);
                    }
                    if (written && out.isReady()) {
                        async.complete();
                    }
                }

                @Override
                public void onError(Throwable failure) {
                    async.complete();
                }
            });
            setting[0] = null;
        }
    }
}
