package dev.llamashim.examples.gateway;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the gateway is told: the model servers it spreads requests over, the API key it sends
 * them, and how long one may take to start answering.
 *
 * @param upstreams base URLs of the model servers, e.g. {@code http://127.0.0.1:8080}; at least one
 * @param apiKey sent upstream as {@code Authorization: Bearer <apiKey>} in place of the client's
 * @param responseTimeout how long an upstream may take before its response headers arrive
 */
public record GatewayConfig(List<URI> upstreams, String apiKey, Duration responseTimeout) {

    /** Servlet init-param naming the upstreams, comma-separated. */
    public static final String UPSTREAMS_PARAM = "upstreams";
    /** Servlet init-param holding the API key. */
    public static final String API_KEY_PARAM = "api-key";
    /** Servlet init-param holding the response timeout in seconds (default 600). */
    public static final String TIMEOUT_PARAM = "response-timeout-seconds";

    /** Checks the values and copies the list. */
    public GatewayConfig {
        upstreams = List.copyOf(upstreams);
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("a gateway needs at least one upstream");
        }
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
    }

    /**
     * Reads the config from servlet init-params ({@value #UPSTREAMS_PARAM}, {@value #API_KEY_PARAM},
     * {@value #TIMEOUT_PARAM}).
     */
    public static GatewayConfig fromParams(Function<String, String> params) {
        String names = params.apply(UPSTREAMS_PARAM);
        if (names == null || names.isBlank()) {
            throw new IllegalArgumentException("init-param " + UPSTREAMS_PARAM + " is missing");
        }
        List<URI> upstreams = new ArrayList<>();
        for (String name : names.split(",")) {
            upstreams.add(URI.create(name.strip()));
        }
        String apiKey = params.apply(API_KEY_PARAM);
        String timeout = params.apply(TIMEOUT_PARAM);
        return new GatewayConfig(upstreams, apiKey == null ? "" : apiKey,
                timeout == null ? Duration.ofSeconds(600) : Duration.ofSeconds(Long.parseLong(timeout.strip())));
    }
}
