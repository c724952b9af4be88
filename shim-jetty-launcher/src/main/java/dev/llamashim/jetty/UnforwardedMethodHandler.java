package dev.llamashim.jetty;

import dev.llamashim.servlet.OpenAiError;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Answers {@code CONNECT} and {@code TRACE} itself with an OpenAI-shaped 405 and an {@code Allow}
 * header, and forwards nothing: no model server serves either. llamashim is no forward proxy
 * ({@code CONNECT example.com:443} would reach the model server as {@code CONNECT /}), and a
 * {@code TRACE} would have the model server echo the client's headers, its API key included.
 */
final class UnforwardedMethodHandler extends Handler.Wrapper {

    /** The methods the launcher forwards, for the {@code Allow} header. */
    static final String ALLOWED = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    UnforwardedMethodHandler(Handler handler) {
        super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        if (!HttpMethod.CONNECT.is(method) && !HttpMethod.TRACE.is(method)) {
            return super.handle(request, response, callback);
        }
        byte[] body = new OpenAiError(405, "llamashim does not forward " + method
                + " requests: no model server serves them", "invalid_request_error", "http_405").toJson();
        response.setStatus(405);
        response.getHeaders().put(HttpHeader.ALLOW, ALLOWED);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        // A client refused a tunnel may already be sending what was meant for it; Jetty keeps a
        // CONNECT's connection open even when the client asked to close it.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
