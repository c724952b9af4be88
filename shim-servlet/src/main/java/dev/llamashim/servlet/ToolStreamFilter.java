package dev.llamashim.servlet;

import dev.llamashim.core.StreamSynthesizer;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Makes {@code stream:true} chat requests with tools work against model servers that can only
 * answer them as one JSON body (older llama-server builds, or servers whose tool-call streams
 * strict clients reject). Mount it in front of whatever servlet forwards to the model server.
 *
 * <p>A request is shimmed when it is a {@code POST} to a chat path whose body is a JSON object with
 * {@code "stream": true} and (unless {@code simulate-when} is {@code always}) {@code tools} or
 * {@code functions}. What happens then depends on the {@link Mode}:
 * <ul>
 *   <li>{@code synthesize} (default): the forwarder gets the same body with {@code "stream": false}
 *       and no {@code stream_options}; its complete answer is turned into an OpenAI
 *       {@code text/event-stream};
 *   <li>{@code repair}: the forwarder gets the body as it came; a {@code 200 text/event-stream}
 *       answer is mended event by event on its way to the client (missing {@code index} or
 *       {@code id}, repeated names, object arguments, missing finish or {@code [DONE]}…), and a
 *       {@code 200} JSON answer is streamed as in {@code synthesize};
 *   <li>{@code auto}: as {@code repair}, but a refusal to stream (as older llama-server builds
 *       give: {@code 500 Cannot use tools with stream}; any other error is passed on) makes the
 *       filter ask once more with {@code stream:false} and synthesize; a model server that refused
 *       is asked for JSON straight away for the next hour. This needs the filter mapped for
 *       {@code ASYNC} dispatches as well as {@code REQUEST}.
 * </ul>
 * A non-200 or non-JSON answer reaches the client as it came; a 200 JSON answer that is no chat
 * completion becomes a 502 error. In every mode, tool calls of declared tools that the model wrote
 * as text are turned into real ones ({@code text-tool-calls}, default {@code extract}). Every
 * other request passes through untouched and unbuffered (chat POSTs are read to decide, then
 * replayed byte for byte), except, with {@code normalize-non-stream}, a {@code stream:false}
 * chat request with tools, whose 200 JSON answer gets the same repairs, as JSON.
 *
 * <p>No thread waits while the model generates: an async forwarder (a proxy servlet) finishes
 * through {@code AsyncContext.complete()}, and the answer is written with non-blocking output.
 * A forwarder that ends its async cycle with {@code AsyncContext.dispatch()} (Spring MVC's async
 * return values) works when the filter is also mapped for {@code ASYNC} dispatches.
 * Configure it with init-params ({@link ShimSettings#fromInitParams}) or pass {@link ShimSettings}.
 */
public final class ToolStreamFilter implements Filter {

    /** Request attribute set to {@code Boolean.TRUE} on shimmed requests, for access logs. */
    public static final String SHIMMED_ATTRIBUTE = "dev.llamashim.shimmed";

    /** Request attribute set to the request's {@link ShimRecord} once the filter is done with it. */
    public static final String RECORD_ATTRIBUTE = "dev.llamashim.record";

    /**
     * Request attribute a forwarder sets to the OpenAI error {@code code} of an error it answers
     * itself rather than the model server (a proxy's {@code upstream_timeout}), so that the
     * request's {@link ShimRecord} tells it from the model server's own errors.
     */
    public static final String OWN_ERROR_ATTRIBUTE = "dev.llamashim.ownError";

    /** Request attribute a forwarder sets to {@code Boolean.TRUE} when it saw the client go away. */
    public static final String CLIENT_GONE_ATTRIBUTE = "dev.llamashim.clientGone";

    /**
     * Request attribute that reads {@code Boolean.TRUE} on the request a forwarder gets when the
     * filter holds the whole answer in memory (a {@code stream:false} ask it re-streams): writes
     * to that response's output never block, so a forwarder may write each piece and go on, with
     * no {@code WriteListener} and no wait for a callback. On any other request it is absent.
     */
    public static final String HELD_ANSWER_ATTRIBUTE = "dev.llamashim.heldAnswer";

    private ShimSettings settings;
    private StreamSynthesizer synthesizer;
    private ScheduledExecutorService heartbeats;
    private RefusalMemory refusals;
    private ShimListener listener = ShimListener.NONE;

    /** For {@code web.xml} and other declarative use: settings come from init-params. */
    public ToolStreamFilter() {}

    /** For programmatic use ({@code FilterHolder}, {@code FilterRegistrationBean}). */
    public ToolStreamFilter(ShimSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** As {@link #ToolStreamFilter(ShimSettings)}, telling {@code listener} what it does with each request. */
    public ToolStreamFilter(ShimSettings settings, ShimListener listener) {
        this(settings);
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Reads init-params unless settings were given to the constructor.
     *
     * @throws ShimConfigException naming the init-param that is malformed
     */
    @Override
    public void init(FilterConfig config) {
        if (settings == null) {
            settings = ShimSettings.fromInitParams(config);
        }
        synthesizer = new StreamSynthesizer(settings.chunking());
        if (settings.mode() == Mode.AUTO) {
            refusals = new RefusalMemory(System::nanoTime);
        }
        if (settings.heartbeats()) {
            // One timer thread for all requests: it only queues a few bytes per heartbeat.
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
                Thread thread = new Thread(task, "llamashim-heartbeat");
                thread.setDaemon(true);
                return thread;
            });
            // Most heartbeats are cancelled (the answer came first); don't keep them queued until due.
            timer.setRemoveOnCancelPolicy(true);
            heartbeats = timer;
        }
    }

    /** Stops the heartbeat timer. */
    @Override
    public void destroy() {
        if (heartbeats != null) {
            heartbeats.shutdownNow();
        }
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (synthesizer == null) {
            throw new ServletException("ToolStreamFilter was used before init()");
        }
        if (request.getDispatcherType() == DispatcherType.ASYNC) {
            ShimExchange exchange = ShimExchange.awaitingDispatch(request);
            if (exchange != null) {
                exchange.runDispatch(chain, request, response);
                return;
            }
        }
        if (!(request instanceof HttpServletRequest http)
                || !(response instanceof HttpServletResponse httpResponse)
                || request.getDispatcherType() != DispatcherType.REQUEST) {
            chain.doFilter(request, response);
            return;
        }
        boolean chatPath = settings.isChatPath(http.getRequestURI());
        RequestRecorder recorder = RequestRecorder.start(http, listener, chatPath ? PathClass.CHAT : PathClass.OTHER);
        if (!"POST".equals(http.getMethod()) || !chatPath) {
            passThrough(chain, http, response, recorder);
            return;
        }
        byte[] body = readBody(http);
        if (body == null) {
            OpenAiError tooLarge = new OpenAiError(413,
                    "the request body is larger than max-body-bytes (" + settings.maxBodyBytes() + " bytes)",
                    "invalid_request_error", "request_too_large");
            recorder.end(ShimOutcome.ERROR, tooLarge.code(), RepairCounts.NONE, null, false);
            reject(http, httpResponse, tooLarge);
            return;
        }
        ShimPlan plan = ShimPlan.decide(body, settings.simulateWhen(), settings.normalizeNonStream());
        if (plan == null) {
            passThrough(chain, new ReplayedBodyRequest(http, body), response, recorder);
            return;
        }
        if (plan.stream()) {
            http.setAttribute(SHIMMED_ATTRIBUTE, Boolean.TRUE);
        }
        try {
            // A JSON answer to normalize never starts a stream, so it gets no heartbeats.
            new ShimExchange(http, httpResponse, synthesizer, plan, body, settings, refusals,
                    plan.stream() ? heartbeats : null, recorder).run(chain);
        } catch (IOException | ServletException | RuntimeException e) {
            recorder.end(ShimOutcome.ERROR, "downstream_failure", RepairCounts.NONE, null, false);
            throw e;
        }
    }

    /** Hands a request the filter does not shim to the forwarder; its record ends when the response does. */
    private static void passThrough(FilterChain chain, HttpServletRequest request, ServletResponse response,
            RequestRecorder recorder) throws IOException, ServletException {
        try {
            chain.doFilter(request, response);
        } finally {
            if (request.isAsyncStarted()) {
                request.getAsyncContext().addListener(recorder);
            } else {
                recorder.end(ShimOutcome.PASSED_THROUGH, null, RepairCounts.NONE, null, false);
            }
        }
    }

    /** The whole body, or {@code null} when it is longer than {@code max-body-bytes}. */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        long limit = settings.maxBodyBytes();
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            return null;
        }
        if (declared >= 0) {
            // The container delivers exactly Content-Length bytes: read them into one array of that size.
            byte[] body = new byte[(int) declared];
            int read = request.getInputStream().readNBytes(body, 0, body.length);
            return read == body.length ? body : Arrays.copyOf(body, read);
        }
        byte[] body = request.getInputStream().readNBytes((int) limit + 1);
        return body.length > limit ? null : body;
    }

    private static void reject(HttpServletRequest request, HttpServletResponse response, OpenAiError error) {
        ClientStream.answerAtOnce(request, response, ShimAnswer.error(error));
    }
}
