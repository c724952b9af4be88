package dev.llamashim.servlet.testing;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A downstream servlet that answers itself, as a gateway servlet might: synchronously (writes and
 * returns, flushing each part and sleeping between parts), or asynchronously (starts async, and
 * answers from another thread after a delay, then calls {@code complete()}).
 */
public final class ReplayServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final String REPLY_ATTRIBUTE = ReplayServlet.class.getName() + ".reply";

    private final transient Function<RecordedRequest, Reply> route;
    private final boolean async;
    private final boolean dispatch;
    private final transient List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final transient ScheduledExecutorService timer;
    private final transient AtomicInteger inFlight = new AtomicInteger();
    private final transient AtomicInteger maxInFlight = new AtomicInteger();
    private final transient AtomicInteger clientErrors = new AtomicInteger();

    private ReplayServlet(Function<RecordedRequest, Reply> route, boolean async, boolean dispatch) {
        this.route = route;
        this.async = async;
        this.dispatch = dispatch;
        this.timer = async ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "async-replay");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** Answers on the request thread. */
    public static ReplayServlet sync(Function<RecordedRequest, Reply> route) {
        return new ReplayServlet(route, false, false);
    }

    /** Answers from a timer thread after the reply's own delay, through {@code startAsync()}. */
    public static ReplayServlet async(Function<RecordedRequest, Reply> route) {
        return new ReplayServlet(route, true, false);
    }

    /**
     * Waits like {@link #async}, then ends its async cycle with {@code AsyncContext.dispatch()} and
     * writes the answer in that second dispatch, as Spring MVC does with async return values.
     */
    public static ReplayServlet dispatching(Function<RecordedRequest, Reply> route) {
        return new ReplayServlet(route, true, true);
    }

    /** The most requests it was answering at the same time. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** How many of its async requests it was told had failed (the client went away) while it worked. */
    public int clientErrors() {
        return clientErrors.get();
    }

    /** What it received, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void destroy() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (request.getAttribute(REPLY_ATTRIBUTE) instanceof Reply ready) {
            // The dispatch asked for below: the answer is written now, on the container's thread.
            request.removeAttribute(REPLY_ATTRIBUTE);
            write(ready, response);
            inFlight.decrementAndGet();
            return;
        }
        RecordedRequest recorded = record(request);
        requests.add(recorded);
        Reply reply = route.apply(recorded);
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        if (!async) {
            try {
                sleep(reply.before().toMillis());
                write(reply, response);
            } finally {
                inFlight.decrementAndGet();
            }
            return;
        }
        AsyncContext context = request.startAsync();
        context.setTimeout(0);
        context.addListener(new AsyncListener() {
            @Override
            public void onError(AsyncEvent event) {
                clientErrors.incrementAndGet();
            }

            @Override
            public void onComplete(AsyncEvent event) {}

            @Override
            public void onTimeout(AsyncEvent event) {}

            @Override
            public void onStartAsync(AsyncEvent event) {}
        });
        timer.schedule(() -> {
            if (dispatch) {
                request.setAttribute(REPLY_ATTRIBUTE, reply);
                context.dispatch();
                return;
            }
            try {
                write(reply, (HttpServletResponse) context.getResponse());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
                context.complete();
            }
        }, reply.before().toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void write(Reply reply, HttpServletResponse response) throws IOException {
        response.setStatus(reply.status());
        for (Map.Entry<String, String> header : reply.headers()) {
            response.addHeader(header.getKey(), header.getValue());
        }
        ServletOutputStream out = response.getOutputStream();
        for (int i = 0; i < reply.parts().size(); i++) {
            if (i > 0) {
                sleep(reply.between().toMillis());
            }
            out.write(reply.parts().get(i));
            if (reply.parts().size() > 1) {
                out.flush();
            }
        }
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RecordedRequest record(HttpServletRequest request) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : Collections.list(request.getHeaderNames())) {
            headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(new ArrayList<>(Collections.list(request.getHeaders(name)))));
        }
        byte[] body = request.getInputStream().readAllBytes();
        String query = request.getQueryString();
        return new RecordedRequest(request.getMethod(), request.getRequestURI() + (query == null ? "" : "?" + query),
                Collections.unmodifiableMap(headers), body);
    }
}
