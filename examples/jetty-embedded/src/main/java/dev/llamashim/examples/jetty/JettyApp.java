package dev.llamashim.examples.jetty;

import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.ToolStreamFilter;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * An existing embedded Jetty 12 app that forwards {@code /v1/*} to a model server with Jetty's
 * {@link AsyncProxyServlet.Transparent}, and adds llamashim with one {@link FilterHolder}.
 */
public final class JettyApp {

    private JettyApp() {}

    /**
     * Starts the app on {@code host:port} (port 0 picks a free one), forwarding to {@code modelServer}.
     *
     * @return the started server; stop it when done
     */
    public static Server start(String host, int port, URI modelServer) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler("/");
        ServletHolder proxy = new ServletHolder("model-server", AsyncProxyServlet.Transparent.class);
        proxy.setInitParameter("proxyTo", modelServer.toString());
        proxy.setAsyncSupported(true);
        context.addServlet(proxy, "/v1/*");

        // The one addition llamashim needs: its filter in front of the proxy, async-supported too.
        FilterHolder shim = new FilterHolder(new ToolStreamFilter(ShimSettings.builder().chunkSize(50).build()));
        shim.setAsyncSupported(true);
        context.addFilter(shim, "/v1/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));

        server.setHandler(context);
        server.start();
        return server;
    }

    /**
     * Runs the app until stopped.
     *
     * @param args the port (default 8066) and the model server (default {@code http://127.0.0.1:8080})
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8066;
        URI modelServer = URI.create(args.length > 1 ? args[1] : "http://127.0.0.1:8080");
        Server server = start("127.0.0.1", port, modelServer);
        System.out.println("Jetty app on http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort()
                + "/v1, forwarding to " + modelServer + " through llamashim's filter");
        server.join();
    }
}
