package dev.llamashim.servlet.testing;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;
import java.nio.file.Files;
import java.util.EnumSet;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * An embedded servlet container on 127.0.0.1 and a port the OS picks, with one filter (the one
 * under test, or none, mapped for REQUEST and ASYNC dispatches) in front of one servlet at
 * {@code /*}, both async-supported.
 */
public interface ServletContainer extends AutoCloseable {

    /** {@code http://127.0.0.1:<port>}. */
    URI baseUri();

    /** Which container. */
    enum Kind {
        JETTY, TOMCAT;

        /** Starts this container with {@code filter} (may be null) in front of {@code servlet}. */
        public ServletContainer start(Filter filter, HttpServlet servlet, Map<String, String> servletInitParams, int maxThreads) {
            return start(filter, Map.of(), servlet, servletInitParams, maxThreads);
        }

        /** Starts this container with {@code filter} declared with init-params, as {@code web.xml} would. */
        public ServletContainer start(Filter filter, Map<String, String> filterInitParams, HttpServlet servlet,
                Map<String, String> servletInitParams, int maxThreads) {
            try {
                return this == JETTY
                        ? new JettyContainer(filter, filterInitParams, servlet, servletInitParams, maxThreads)
                        : new TomcatContainer(filter, filterInitParams, servlet, servletInitParams, maxThreads);
            } catch (Exception e) {
                throw new IllegalStateException(this + " did not start", e);
            }
        }
    }

    /** Jetty 12, ee10. */
    final class JettyContainer implements ServletContainer {
        private final Server server;

        JettyContainer(Filter filter, Map<String, String> filterInitParams, HttpServlet servlet, Map<String, String> initParams, int maxThreads) throws Exception {
            QueuedThreadPool threads = new QueuedThreadPool(maxThreads, Math.min(4, maxThreads));
            threads.setName("jetty-under-test");
            server = new Server(threads);
            HttpConfiguration config = new HttpConfiguration();
            config.setSendServerVersion(false);
            ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            ServletHolder holder = new ServletHolder("downstream", servlet);
            holder.setAsyncSupported(true);
            holder.setInitParameters(initParams);
            context.addServlet(holder, "/*");
            if (filter != null) {
                FilterHolder filterHolder = new FilterHolder(filter);
                filterHolder.setAsyncSupported(true);
                filterHolder.setInitParameters(filterInitParams);
                context.addFilter(filterHolder, "/*", EnumSet.of(jakarta.servlet.DispatcherType.REQUEST, jakarta.servlet.DispatcherType.ASYNC));
            }
            server.setHandler(context);
            server.start();
        }

        @Override
        public URI baseUri() {
            return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }

        @Override
        public String toString() {
            return "Jetty 12";
        }
    }

    /** Tomcat (NIO connector). */
    final class TomcatContainer implements ServletContainer {
        private final Tomcat tomcat;
        private final Connector connector;

        TomcatContainer(Filter filter, Map<String, String> filterInitParams, HttpServlet servlet, Map<String, String> initParams, int maxThreads) throws Exception {
            tomcat = new Tomcat();
            tomcat.setBaseDir(Files.createTempDirectory("tomcat-under-test").toString());
            connector = new Connector();
            connector.setPort(0);
            connector.setProperty("address", "127.0.0.1");
            connector.setProperty("maxThreads", Integer.toString(maxThreads));
            connector.setProperty("minSpareThreads", Integer.toString(Math.min(4, maxThreads)));
            tomcat.setConnector(connector);
            Context context = tomcat.addContext("", null);
            Wrapper wrapper = Tomcat.addServlet(context, "downstream", servlet);
            wrapper.setAsyncSupported(true);
            initParams.forEach(wrapper::addInitParameter);
            context.addServletMappingDecoded("/*", "downstream");
            if (filter != null) {
                FilterDef def = new FilterDef();
                def.setFilterName("llamashim");
                def.setFilter(filter);
                def.setAsyncSupported("true");
                filterInitParams.forEach(def::addInitParameter);
                context.addFilterDef(def);
                FilterMap map = new FilterMap();
                map.setFilterName("llamashim");
                map.addURLPattern("/*");
                map.setDispatcher("REQUEST");
                map.setDispatcher("ASYNC");
                context.addFilterMap(map);
            }
            tomcat.start();
        }

        @Override
        public URI baseUri() {
            return URI.create("http://127.0.0.1:" + connector.getLocalPort());
        }

        @Override
        public void close() throws Exception {
            tomcat.stop();
            tomcat.destroy();
        }

        @Override
        public String toString() {
            return "Tomcat 11";
        }
    }
}
