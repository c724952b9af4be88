package dev.llamashim.jetty;

import dev.llamashim.servlet.ShimRecord;
import dev.llamashim.servlet.ToolStreamFilter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps, for each request forwarded to the model server, the bytes the client receives (the
 * proxy adds the model server's answers to the same {@link RequestCapture}), and hands the
 * requests {@code capture_when} asks for to the {@link CaptureWriter} once they are complete.
 * llamashim's own paths ({@code /llamashim/...}) are not captured.
 */
final class CaptureHandler extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureHandler.class);
    private static final String OWN_PATHS = "/llamashim/";

    private final CaptureWriter writer;

    CaptureHandler(Handler handler, CaptureWriter writer) {
        super(handler);
        this.writer = writer;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (request.getHttpURI().getPath().startsWith(OWN_PATHS)) {
            return super.handle(request, response, callback);
        }
        RequestCapture capture = new RequestCapture(writer.partLimit());
        request.setAttribute(RequestCapture.ATTRIBUTE, capture);
        Response teed = new Response.Wrapper(request, response) {
            @Override
            public void write(boolean last, ByteBuffer content, Callback written) {
                if (content != null) {
                    capture.clientBytes(content);
                }
                super.write(last, content, written);
            }
        };
        return super.handle(request, teed, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                finish(request, response, capture);
                super.succeeded();
            }

            @Override
            public void failed(Throwable failure) {
                finish(request, response, capture);
                super.failed(failure);
            }
        });
    }

    private void finish(Request request, Response response, RequestCapture capture) {
        ShimRecord record = request.getAttribute(ToolStreamFilter.RECORD_ATTRIBUTE) instanceof ShimRecord r ? r : null;
        int status = response.getStatus();
        if (!writer.wanted(status, record)) {
            return;
        }
        try {
            writer.write(capture, request.getMethod(), request.getHttpURI().getPath(), status, record, Instant.now());
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not write the capture of {} {}: {}", request.getMethod(), request.getHttpURI().getPath(), e.toString());
        }
    }
}
