package dev.llamashim.jetty;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Answers {@value #PATH} with the registry's meters in the Prometheus text format, without asking the upstream. */
final class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** The metrics path, served by llamashim itself when {@code metrics} is on. */
    static final String PATH = "/llamashim/metrics";

    /** The Prometheus text exposition format, version 0.0.4. */
    private static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

    private final transient PrometheusMeterRegistry registry;

    MetricsServlet(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] body = registry.scrape(TEXT_FORMAT).getBytes(StandardCharsets.UTF_8);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(TEXT_FORMAT);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
