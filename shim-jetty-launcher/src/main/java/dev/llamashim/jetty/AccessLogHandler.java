package dev.llamashim.jetty;

import dev.llamashim.servlet.RepairCounts;
import dev.llamashim.servlet.ShimOutcome;
import dev.llamashim.servlet.ShimRecord;
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
 * shimmed, status, upstream and total milliseconds, and what the filter did ({@code mode=}, the
 * {@link ShimOutcome} label, or {@code -} for llamashim's own paths; {@code error=} its own error's
 * code; {@code mended=} and {@code extracted=} counts by kind when there were any; {@code retry=} why
 * mode {@code auto} asked again with {@code stream:false} or did not, when it had to decide). Never headers
 * and never the query string, so {@code Authorization} and {@code ?api_key=} values stay out of the log.
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
        ShimRecord record = request.getAttribute(ToolStreamFilter.RECORD_ATTRIBUTE) instanceof ShimRecord r ? r : null;
        LOG.info("{} {} shimmed={} status={} upstream_ms={} total_ms={} {}{}",
                request.getMethod(),
                request.getHttpURI().getPath(),
                shimmed,
                response.getStatus(),
                upstream == null ? "-" : upstream,
                totalMillis,
                describe(record),
                failure == null ? "" : " failed=" + failure.getClass().getSimpleName());
    }

    /**
     * {@code mode=repaired mended=finish_reason:1 extracted=hermes:2}, {@code mode=retried_synthesized retry=refused_to_stream},
     * {@code mode=error error=upstream_timeout}, or {@code mode=-}.
     */
    private static String describe(ShimRecord record) {
        if (record == null) {
            return "mode=-";
        }
        StringBuilder text = new StringBuilder("mode=").append(record.outcome().label());
        if (record.outcome() == ShimOutcome.ERROR) {
            text.append(" error=").append(record.errorCode());
        }
        if (!record.repairs().mended().isEmpty()) {
            text.append(" mended=").append(RepairCounts.summary(record.repairs().mended()));
        }
        if (!record.repairs().extracted().isEmpty()) {
            text.append(" extracted=").append(RepairCounts.summary(record.repairs().extracted()));
        }
        if (record.retryReason() != null) {
            text.append(" retry=").append(record.retryReason());
        }
        if (record.clientGone()) {
            text.append(" client_gone=true");
        }
        return text.toString();
    }
}
