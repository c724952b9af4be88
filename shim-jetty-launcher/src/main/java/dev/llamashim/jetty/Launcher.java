package dev.llamashim.jetty;

import dev.llamashim.servlet.ShimListener;
import dev.llamashim.servlet.ToolStreamFilter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.FilterMapping;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts llamashim: a Jetty 12 server whose every path, but {@value HealthServlet#PATH}, goes
 * through {@link ToolStreamFilter} to Jetty's async proxy servlet and on to {@code target_url}
 * ({@code CONNECT} and {@code TRACE} excepted: {@link UnforwardedMethodHandler} answers them).
 */
public final class Launcher {

    /** How long a stop waits for requests in flight; below Docker's 10 s before it kills. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(8);

    /**
     * Client connections may sit silent while the upstream thinks for up to {@code request_timeout};
     * they must outlive that wait, or the client would lose its 504.
     */
    private static final Duration CLIENT_IDLE_MARGIN = Duration.ofSeconds(30);

    /** Connections the kernel may hold for the acceptor; Linux caps it at {@code net.core.somaxconn}. */
    private static final int ACCEPT_QUEUE = 1024;

    private static final String UPSTREAM_SERVLET = "upstream";
    private static final String SHIM_FILTER = "llamashim";
    private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);

    private Launcher() {}

    /**
     * Starts serving {@code config} and returns once the port is bound. The root log level is set
     * from {@code log_level}.
     *
     * @throws LauncherException exit code 1 when the server cannot start (port in use, bad host),
     *     exit code 2 when the configuration is inconsistent
     */
    public static RunningLauncher start(LauncherConfig config) {
        return start(config, true);
    }

    /**
     * Starts the same server without {@link ToolStreamFilter}: a plain Jetty async proxy to
     * {@code target_url}. It is the baseline the benchmarks measure the shim against.
     *
     * @throws LauncherException as {@link #start(LauncherConfig)}
     */
    public static RunningLauncher startPlainProxy(LauncherConfig config) {
        return start(config, false);
    }

    private static RunningLauncher start(LauncherConfig config, boolean shim) {
        LogLevels.apply(config.logLevel());
        SslContextFactory.Client tls = UpstreamTls.clientFactory(config.verifySsl());

        QueuedThreadPool threads = new QueuedThreadPool(config.maxThreads());
        threads.setName("llamashim");
        Server server = new Server(threads);
        server.setStopTimeout(STOP_TIMEOUT.toMillis());

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // Jetty's per-connection header cache (1024 by default) is a 96 KB table on every kept-alive
        // connection: with 10,000 clients waiting, about 1 GB of heap (BENCHMARKS.md).
        http.setHeaderCacheSize(0);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.listenHost());
        connector.setPort(config.proxyPort());
        // The JVM's default backlog of 50 makes a burst of new clients see refused or slow connects.
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        connector.setIdleTimeout(config.requestTimeout().plus(CLIENT_IDLE_MARGIN).toMillis());
        server.addConnector(connector);

        Handler handler = servletContext(config, tls, shim, metrics(config));
        if (!config.captureDir().isEmpty()) {
            handler = new CaptureHandler(handler, new CaptureWriter(Path.of(config.captureDir()), config.captureWhen(),
                    config.captureMaxRequests(), config.captureMaxBytes()));
        }
        // CONNECT and TRACE are answered before capture: nothing of theirs reaches the model server.
        server.setHandler(new GracefulHandler(new AccessLogHandler(new UnforwardedMethodHandler(handler))));
        server.setErrorHandler(new JsonErrorHandler());

        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            throw startFailure(config, e);
        }
        RunningLauncher running = new RunningLauncher(server, connector, config);
        LOG.info("llamashim {} listening on {}, forwarding to {} (mode={}, simulate_when={}, text_tool_calls={}, "
                        + "normalize_non_stream={}, streaming_chunk_size={}, request_timeout={} s, verify_ssl={})",
                Version.current(), running.uri(), config.targetUrl(), config.mode(), config.simulateWhen(),
                ConfigKeys.TEXT_TOOL_CALLS.print(config.textToolCalls()), config.normalizeNonStream(),
                config.streamingChunkSize(), ConfigKeys.REQUEST_TIMEOUT.print(config.requestTimeout()),
                config.verifySsl());
        if (config.verifySsl().mode() == TlsVerification.Mode.TRUST_ALL && "https".equals(config.targetUrl().getScheme())) {
            LOG.warn("verify_ssl is false: the certificate of {} is not checked, so anyone on the path can read "
                    + "and change what goes to the model server", config.targetUrl());
        }
        return running;
    }

    /** The registry {@value MetricsServlet#PATH} serves, with JVM basics bound; {@code null} when {@code metrics} is off. */
    private static PrometheusMeterRegistry metrics(LauncherConfig config) {
        if (!config.metrics()) {
            return null;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    private static ServletContextHandler servletContext(LauncherConfig config, SslContextFactory.Client tls, boolean withShim,
            PrometheusMeterRegistry registry) {
        MicrometerShimListener metrics = registry == null ? null : new MicrometerShimListener(registry);
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        context.setContextPath("/");
        context.getServletHandler().setStartWithUnavailable(false);
        // Jetty 12.1 lets a context without an error handler of its own use the server's; this one
        // is set anyway, so the servlets' errors stay JSON whatever the context would default to.
        context.setErrorHandler(new JsonErrorHandler());

        ServletHolder upstream = new ServletHolder(UPSTREAM_SERVLET,
                new UpstreamProxyServlet(config, tls, metrics == null ? UpstreamObserver.NONE : metrics));
        upstream.setAsyncSupported(true);
        // Start the HTTP client with the server, so a TLS setup problem stops the start.
        upstream.setInitOrder(0);
        context.addServlet(upstream, "/*");
        context.addServlet(new ServletHolder("health", new HealthServlet()), HealthServlet.PATH);
        if (registry != null) {
            context.addServlet(new ServletHolder("metrics", new MetricsServlet(registry)), MetricsServlet.PATH);
        }
        if (!withShim) {
            return context;
        }

        ShimListener listener = metrics == null ? ShimListener.NONE : metrics;
        FilterHolder shim = new FilterHolder(new ToolStreamFilter(config.shimSettings(), listener));
        shim.setName(SHIM_FILTER);
        shim.setAsyncSupported(true);
        FilterMapping mapping = new FilterMapping();
        mapping.setFilterName(SHIM_FILTER);
        mapping.setServletName(UPSTREAM_SERVLET);
        // ASYNC too: mode auto asks the model server again in a dispatch of its own.
        mapping.setDispatcherTypes(EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
        context.getServletHandler().addFilter(shim, mapping);
        return context;
    }

    private static LauncherException startFailure(LauncherConfig config, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LauncherException launcherException) {
                return launcherException;
            }
            if (t instanceof BindException || (t instanceof IOException && t.getMessage() != null
                    && t.getMessage().startsWith("Failed to bind"))) {
                Throwable reason = t.getCause() != null ? t.getCause() : t;
                return LauncherException.start("cannot listen on " + config.listenHost() + ":" + config.proxyPort()
                        + " (listen_host, proxy_port): " + reason.getMessage(), e);
            }
        }
        return LauncherException.start("llamashim could not start: " + e, e);
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            // The start failure is what the caller reports; this one only says cleanup was partial.
            LOG.debug("stopping after a failed start failed too", e);
        }
    }
}
