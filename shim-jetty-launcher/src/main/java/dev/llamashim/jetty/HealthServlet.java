package dev.llamashim.jetty;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Answers {@value #PATH} with {@code {"status":"ok"}} while the launcher runs, without asking the upstream. */
final class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** The health path; every other path goes to the upstream. */
    static final String PATH = "/llamashim/health";

    private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(OK.length);
        response.getOutputStream().write(OK);
    }
}
