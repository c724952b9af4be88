package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.ChunkingPolicy;
import dev.llamashim.core.StreamSynthesizer;
import dev.llamashim.core.testing.Fixture;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.Routes;
import dev.llamashim.servlet.testing.ServletContainer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No thread waits while the model generates: with the container capped at 16 threads, 200 shimmed
 * requests are all at the (slow) downstream at once, and every one gets its exact stream.
 */
class ConcurrencyTest {

    private static final int REQUESTS = 200;
    private static final int CONTAINER_THREADS = 16;

    static List<Arguments> setups() {
        List<Arguments> setups = new ArrayList<>();
        for (ServletContainer.Kind kind : ServletContainer.Kind.values()) {
            setups.add(Arguments.of(kind, Downstream.ASYNC));
            setups.add(Arguments.of(kind, Downstream.PROXY));
        }
        return setups;
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("setups")
    void twoHundredShimmedRequestsWaitAtOnceOnSixteenThreads(ServletContainer.Kind kind, Downstream downstream) throws Exception {
        Fixture toolCall = Fixture.load("new", "tool-call-nonstream");
        Reply slow = Reply.of(toolCall).after(Duration.ofMillis(1500));
        byte[] request = Fixture.load("new", "tool-call-native-stream-usage").requestBody();
        byte[] expected = new StreamSynthesizer(ChunkingPolicy.defaults()).toBytes(ChatResponse.parse(toolCall.body()), true);

        try (Downstream.Setup setup = downstream.start(kind, new ToolStreamFilter(ShimSettings.defaults()),
                Routes.always(slow), CONTAINER_THREADS)) {
            List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                responses.add(Http.client().sendAsync(
                        HttpRequest.newBuilder(setup.container().baseUri().resolve("/v1/chat/completions"))
                                .timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(request))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

            for (CompletableFuture<HttpResponse<byte[]>> response : responses) {
                assertThat(response.get().statusCode()).isEqualTo(200);
                assertThat(response.get().body()).isEqualTo(expected);
            }
            int together = setup.replay() != null ? setup.replay().maxInFlight() : setup.upstream().maxInFlight();
            assertThat(together).as("requests waiting at the downstream at the same time")
                    .isGreaterThan(CONTAINER_THREADS * 4);
        }
    }
}
