package dev.llamashim.jetty;

import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A started launcher: where it listens, and how to stop it (gracefully, within {@link Launcher#STOP_TIMEOUT}). */
public final class RunningLauncher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunningLauncher.class);

    private final Server server;
    private final int port;
    private final LauncherConfig config;
    private final AtomicBoolean closed = new AtomicBoolean();

    RunningLauncher(Server server, ServerConnector connector, LauncherConfig config) {
        this.server = server;
        // Read once: a stopped connector no longer knows its port.
        this.port = connector.getLocalPort();
        this.config = config;
    }

    /** The port it listens on (the one picked when {@code proxy_port} was 0). */
    public int port() {
        return port;
    }

    /** {@code http://listen_host:port}, e.g. {@code http://127.0.0.1:8066}. */
    public URI uri() {
        String host = config.listenHost();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port());
    }

    /** The configuration it runs with. */
    public LauncherConfig config() {
        return config;
    }

    /** Blocks until it has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /**
     * Stops accepting requests, lets those in flight finish for up to {@link Launcher#STOP_TIMEOUT},
     * then stops. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("llamashim stopping (waiting up to {} s for requests in flight)", Launcher.STOP_TIMEOUT.toSeconds());
        try {
            server.stop();
            LOG.info("llamashim stopped");
        } catch (Exception e) {
            LOG.warn("llamashim did not stop cleanly", e);
        }
    }
}
