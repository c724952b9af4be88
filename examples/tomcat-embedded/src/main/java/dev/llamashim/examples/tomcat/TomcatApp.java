package dev.llamashim.examples.tomcat;

import dev.llamashim.examples.gateway.GatewayConfig;
import dev.llamashim.examples.gateway.GatewayServlet;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * Embedded Tomcat 11 with the gateway servlet and llamashim's filter declared the way a
 * {@code web.xml} declares them: by class name, with init-params.
 */
public final class TomcatApp {

    private TomcatApp() {}

    /**
     * Starts Tomcat on {@code host:port} (port 0 picks a free one) with the gateway forwarding
     * {@code /v1/*} to {@code modelServer}.
     *
     * @param chunkSize the filter's {@code chunk-size} init-param
     * @return the started Tomcat; {@code stop()} and {@code destroy()} it when done
     */
    public static Tomcat start(String host, int port, URI modelServer, String apiKey, int chunkSize)
            throws IOException, LifecycleException {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("llamashim-tomcat").toString());
        Connector connector = new Connector();
        connector.setProperty("address", host);
        connector.setPort(port);
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);

        // <servlet> gateway, async-supported, with its init-params
        Wrapper gateway = Tomcat.addServlet(context, "gateway", GatewayServlet.class.getName());
        gateway.addInitParameter(GatewayConfig.UPSTREAMS_PARAM, modelServer.toString());
        gateway.addInitParameter(GatewayConfig.API_KEY_PARAM, apiKey);
        gateway.setAsyncSupported(true);
        context.addServletMappingDecoded("/v1/*", "gateway");

        // <filter> llamashim, async-supported, with its init-params, mapped to the same paths
        FilterDef shim = new FilterDef();
        shim.setFilterName("llamashim");
        shim.setFilterClass("dev.llamashim.servlet.ToolStreamFilter");
        shim.setAsyncSupported("true");
        shim.addInitParameter("chunk-size", Integer.toString(chunkSize));
        shim.addInitParameter("simulate-when", "tools");
        context.addFilterDef(shim);
        FilterMap mapping = new FilterMap();
        mapping.setFilterName("llamashim");
        mapping.addURLPattern("/v1/*");
        mapping.setDispatcher("REQUEST");
        mapping.setDispatcher("ASYNC");
        context.addFilterMap(mapping);

        tomcat.start();
        return tomcat;
    }

    /**
     * Runs Tomcat until stopped.
     *
     * @param args the port (default 8066), the model server (default {@code http://127.0.0.1:8080})
     *     and the API key to send it (default none)
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8066;
        URI modelServer = URI.create(args.length > 1 ? args[1] : "http://127.0.0.1:8080");
        Tomcat tomcat = start("127.0.0.1", port, modelServer, args.length > 2 ? args[2] : "", 50);
        System.out.println("Tomcat on http://127.0.0.1:" + tomcat.getConnector().getLocalPort()
                + "/v1, forwarding to " + modelServer + " through llamashim's filter");
        tomcat.getServer().await();
    }
}
