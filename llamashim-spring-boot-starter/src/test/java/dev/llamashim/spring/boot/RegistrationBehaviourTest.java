package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.servlet.PathClass;
import dev.llamashim.servlet.ShimListener;
import dev.llamashim.servlet.ShimOutcome;
import dev.llamashim.servlet.ShimRecord;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.ReplayServlet;
import dev.llamashim.servlet.testing.Routes;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

/** What the filter's dispatcher types and order mean for an application, over HTTP in Spring Boot's Tomcat. */
class RegistrationBehaviourTest {

    private static final AssistantMessage.ToolCall NEW_BUILDS_CALL = new AssistantMessage.ToolCall(
            "GXjSadYcndOZ8R1waztCzffnUAsuhNux", "function", "get_weather", "{\"location\":\"London\", \"unit\": \"fahrenheit\"}");

    /** Spring MVC's async return values end like this servlet, with {@code AsyncContext.dispatch()}: the filter answers in that ASYNC dispatch. */
    @Test
    void answersADownstreamThatEndsWithAnAsyncDispatch() {
        ReplayServlet dispatching = ReplayServlet.dispatching(Routes.llamaServer("new"));
        try (ShimmedApp app = ShimmedApp.start(dispatching, Map.of())) {

            assertThat(SpringAi.streamToolCalls(app.baseUri())).containsExactly(NEW_BUILDS_CALL);
            assertThat(dispatching.requests()).singleElement()
                    .satisfies(asked -> assertThat(asked.json().path("stream").asBoolean(true)).isFalse());
        }
    }

    /**
     * In {@code auto}, a downstream that answers on the request thread is asked again by running the
     * rest of the filter chain again, and Tomcat then skips the filters behind llamashim. Because
     * llamashim is behind every filter with an order, an application filter (here one that puts
     * the model server's key on the request) applies to the retry too.
     */
    @Test
    void runsBehindTheApplicationsOrderedFiltersSoAutosRetryKeepsWhatTheyDid() {
        ReplayServlet oldLlamaServer = ReplayServlet.sync(Routes.llamaServer("old"));
        FilterRegistrationBean<Filter> upstreamKey = new FilterRegistrationBean<>((request, response, chain) ->
                chain.doFilter(new WithHeader((HttpServletRequest) request, "X-Upstream-Key", "sk-upstream"), response));
        upstreamKey.setOrder(0);
        try (ShimmedApp app = ShimmedApp.start(oldLlamaServer, Map.of(), List.of(upstreamKey), "llamashim.mode=auto")) {

            List<AssistantMessage.ToolCall> calls = SpringAi.streamToolCalls(app.baseUri());

            assertThat(calls).extracting(AssistantMessage.ToolCall::id).containsExactly("nKYvi0BW19MdAiwU5McDUs4gBW1czvt3");
            List<RecordedRequest> asked = oldLlamaServer.requests();
            assertThat(asked).extracting(request -> request.json().path("stream").asBoolean())
                    .as("a refused stream request, then the retry without stream")
                    .containsExactly(true, false);
            assertThat(asked).extracting(request -> request.header("X-Upstream-Key")).containsExactly("sk-upstream", "sk-upstream");
        }
    }

    /** An application's {@link ShimListener} bean is the filter's listener: it hears what was done with each request. */
    @Test
    void anApplicationsShimListenerBeanHearsEachRequest() throws InterruptedException {
        BlockingQueue<ShimRecord> heard = new LinkedBlockingQueue<>();
        ShimListener listener = new ShimListener() {
            @Override
            public void requestEnded(ShimRecord record) {
                heard.add(record);
            }
        };
        try (ShimmedApp app = ShimmedApp.startWithBeans(ReplayServlet.sync(Routes.llamaServer("new")), Map.of("shimListener", listener))) {

            assertThat(SpringAi.streamToolCalls(app.baseUri())).containsExactly(NEW_BUILDS_CALL);
            ShimRecord record = heard.poll(10, TimeUnit.SECONDS);
            assertThat(record).as("the listener heard the request").isNotNull();
            assertThat(record.pathClass()).isEqualTo(PathClass.CHAT);
            assertThat(record.outcome()).isEqualTo(ShimOutcome.SYNTHESIZED);
        }
    }

    /** A request with one more header, as an application's filter might make it. */
    private static final class WithHeader extends HttpServletRequestWrapper {
        private final String name;
        private final String value;

        WithHeader(HttpServletRequest request, String name, String value) {
            super(request);
            this.name = name;
            this.value = value;
        }

        @Override
        public String getHeader(String header) {
            return name.equalsIgnoreCase(header) ? value : super.getHeader(header);
        }

        @Override
        public Enumeration<String> getHeaders(String header) {
            return name.equalsIgnoreCase(header) ? Collections.enumeration(List.of(value)) : super.getHeaders(header);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = Collections.list(super.getHeaderNames());
            names.add(name);
            return Collections.enumeration(names);
        }
    }
}
