package dev.llamashim.bench;

import java.net.URI;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty's own {@code AsyncProxyServlet.Transparent} at its defaults on 127.0.0.1, in the same Jetty
 * version as the launcher: a second plain-proxy baseline, free of the launcher's own proxy settings.
 */
final class StockJettyProxy implements AutoCloseable {

    /** The name its pool's threads start with. */
    static final String THREADS = "stock-jetty";

    private final Server server;
    private final ServerConnector connector;

    StockJettyProxy(URI target) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName(THREADS);
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        ServletHolder proxy = new ServletHolder(new AsyncProxyServlet.Transparent());
        proxy.setInitParameter("proxyTo", target.toString());
        proxy.setAsyncSupported(true);
        context.addServlet(proxy, "/*");
        server.setHandler(context);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
