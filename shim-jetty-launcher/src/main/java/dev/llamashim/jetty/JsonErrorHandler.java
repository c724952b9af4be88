package dev.llamashim.jetty;

import dev.llamashim.servlet.OpenAiError;
import jakarta.servlet.RequestDispatcher;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ErrorHandler;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty makes itself (a malformed request, a method a servlet does not take, an
 * exception nothing caught) as OpenAI clients expect them, {@code {"error":{"message","type","code"}}}
 * with {@code application/json}, instead of an HTML page: 4xx as {@code invalid_request_error},
 * 5xx as {@code server_error}, code {@code http_<status>}.
 *
 * <p>The launcher installs one on the server, which answers what fails before a request reaches
 * the servlet context (a malformed request line, an illegal path), and one on the servlet context
 * for {@code sendError} and uncaught exceptions there. A 5xx message never carries the exception's
 * text: Jetty logs the exception, and the client gets no server internals. No
 * {@code Content-Length} is set here: in the servlet context Jetty would count the bytes against
 * it as servlet output and fail the exchange; it adds the length itself for one last write.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Throwable cause = request.getAttribute(ERROR_EXCEPTION) instanceof Throwable t ? t : null;
        int status = cause instanceof HttpException http ? http.getCode() : response.getStatus();
        if (status < 400 || status > 599) {
            status = HttpStatus.INTERNAL_SERVER_ERROR_500;
        }
        byte[] body = error(status, message(request, cause)).toJson();
        response.setStatus(status);
        response.getHeaders().put(ERROR_CACHE_CONTROL);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    /** The error for {@code status}; {@code detail} is what Jetty said about a 4xx, or {@code null}. */
    private static OpenAiError error(int status, String detail) {
        String reason = HttpStatus.getMessage(status);
        if (status >= 500) {
            return new OpenAiError(status, "llamashim could not handle the request: " + reason, "server_error", "http_" + status);
        }
        return new OpenAiError(status, detail == null || detail.isBlank() ? reason : detail, "invalid_request_error",
                "http_" + status);
    }

    /** What Jetty or a servlet said about the error: the exception's reason, or the message given to {@code sendError}. */
    private static String message(Request request, Throwable cause) {
        if (cause instanceof HttpException http) {
            return http.getReason();
        }
        if (request.getAttribute(ERROR_MESSAGE) instanceof String message) {
            return message;
        }
        return request.getAttribute(RequestDispatcher.ERROR_MESSAGE) instanceof String message ? message : null;
    }
}
