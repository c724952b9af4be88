package dev.llamashim.jetty;

import dev.llamashim.servlet.ToolStreamFilter;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one INFO line per request when its response is complete: method, path, whether it was
 * shimmed, status, upstream and total milliseconds. Never headers and never the query string,
 * so {@code Authorization} and {@code ?api_key=} values stay out of the log.
 */
final class AccessLogHandler extends Handler.Wrapper {

    /** The access log's logger name, so it can be routed or silenced on its own. */
    static final String LOGGER_NAME = "dev.llamashim.access";

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);

    AccessLogHandler(Handler handler) {
        super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long start = System.nanoTime();
        return super.handle(request, response, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                log(request, response, start, null);
                super.succeeded();
            }

            @Override
            public void failed(Throwable failure) {
                log(request, response, start, failure);
                super.failed(failure);
            }
        });
    }

    private static void log(Request request, Response response, long start, Throwable failure) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        long totalMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Object upstream = request.getAttribute(UpstreamProxyServlet.UPSTREAM_MILLIS_ATTRIBUTE);
        boolean shimmed = Boolean.TRUE.equals(request.getAttribute(ToolStreamFilter.SHIMMED_ATTRIBUTE));
        LOG.info("{} {} shimmed={} status={} upstream_ms={} total_ms={}{}",
                request.getMethod(),
                request.getHttpURI().getPath(),
                shimmed,
                response.getStatus(),
                upstream == null ? "-" : upstream,
                totalMillis,
                failure == null ? "" : " failed=" + failure.getClass().getSimpleName());
    }
}
