package dev.llamashim.servlet.testing;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import java.util.Locale;
import org.eclipse.jetty.util.Callback;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty's transparent async proxy, made fit for event streams and for containers other than Jetty:
 * an SSE answer is not held in the servlet output buffer (each upstream event reaches the client
 * as it arrives; Jetty's own proxy leaves them in the buffer until it fills), and outside Jetty the proxy's HTTP client gets an executor of its own.
 */
public final class StreamingProxyServlet extends AsyncProxyServlet.Transparent {

    private static final long serialVersionUID = 1L;
    private static final String EXECUTOR_ATTRIBUTE = "org.eclipse.jetty.server.Executor";

    private transient QueuedThreadPool ownExecutor;

    @Override
    public void init(ServletConfig config) throws ServletException {
        if (config.getServletContext().getAttribute(EXECUTOR_ATTRIBUTE) == null) {
            ownExecutor = new QueuedThreadPool(16, 2);
            ownExecutor.setName("proxy-client");
            try {
                ownExecutor.start();
            } catch (Exception e) {
                throw new ServletException(e);
            }
            config.getServletContext().setAttribute(EXECUTOR_ATTRIBUTE, ownExecutor);
        }
        super.init(config);
    }

    @Override
    public void destroy() {
        super.destroy();
        if (ownExecutor != null) {
            try {
                ownExecutor.stop();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Aborts the upstream exchange when the client's request fails (it went away): Jetty's proxy
     * only notices a gone client when it writes to it, which may be minutes later for a model.
     */
    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest) {
        clientRequest.getAsyncContext().addListener(new AsyncListener() {
            @Override
            public void onError(AsyncEvent event) {
                proxyRequest.abort(event.getThrowable());
            }

            @Override
            public void onComplete(AsyncEvent event) {}

            @Override
            public void onTimeout(AsyncEvent event) {}

            @Override
            public void onStartAsync(AsyncEvent event) {}
        });
        super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
    }

    /**
     * Event streams are written and flushed event by event (blocking, on the client's thread);
     * servlet output buffers would otherwise hold them back. Everything else stays non-blocking.
     */
    @Override
    protected void onResponseContent(HttpServletRequest request, HttpServletResponse response, Response proxyResponse,
            byte[] buffer, int offset, int length, Callback callback) {
        String type = proxyResponse.getHeaders().get("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
            super.onResponseContent(request, response, proxyResponse, buffer, offset, length, callback);
            return;
        }
        try {
            ServletOutputStream out = response.getOutputStream();
            out.write(buffer, offset, length);
            out.flush();
            callback.succeeded();
        } catch (Throwable x) {
            callback.failed(x);
            proxyResponse.abort(x);
        }
    }
}
