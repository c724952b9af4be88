package dev.llamashim.spring.boot;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

/**
 * A Spring Boot application (embedded Tomcat, 127.0.0.1, a free port) whose only code is a servlet
 * at {@code /v1/*} that stands for the one forwarding to the model server, and optionally filters
 * of the application's own: llamashim comes from the starter and {@code llamashim.*} properties alone.
 */
final class ShimmedApp implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private ShimmedApp(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** Starts the application with {@code downstream} (init-params {@code params}) and {@code properties} ({@code key=value}). */
    static ShimmedApp start(HttpServlet downstream, Map<String, String> params, String... properties) {
        return start(downstream, params, List.of(), properties);
    }

    /** As {@link #start(HttpServlet, Map, String...)}, with the application's own filters registered as given. */
    static ShimmedApp start(HttpServlet downstream, Map<String, String> params, List<FilterRegistrationBean<? extends Filter>> filters,
            String... properties) {
        return start(downstream, params, filters, Map.of(), properties);
    }

    /** As {@link #start(HttpServlet, Map, String...)}, with the application's own beans registered by name. */
    static ShimmedApp startWithBeans(HttpServlet downstream, Map<String, Object> beans, String... properties) {
        return start(downstream, Map.of(), List.of(), beans, properties);
    }

    private static ShimmedApp start(HttpServlet downstream, Map<String, String> params,
            List<FilterRegistrationBean<? extends Filter>> filters, Map<String, Object> beans, String... properties) {
        ServletRegistrationBean<HttpServlet> servlet = new ServletRegistrationBean<>(downstream, "/v1/*");
        servlet.setAsyncSupported(true);
        servlet.setInitParameters(params);
        List<String> args = new ArrayList<>(List.of("--server.address=127.0.0.1", "--server.port=0",
                "--spring.main.banner-mode=off", "--logging.level.root=WARN"));
        for (String property : properties) {
            args.add("--" + property);
        }
        SpringApplication application = new SpringApplicationBuilder(App.class)
                .initializers(context -> {
                    GenericApplicationContext generic = (GenericApplicationContext) context;
                    generic.registerBean("downstream", ServletRegistrationBean.class, () -> servlet);
                    for (int i = 0; i < filters.size(); i++) {
                        FilterRegistrationBean<? extends Filter> filter = filters.get(i);
                        generic.registerBean("applicationFilter" + i, FilterRegistrationBean.class, () -> filter);
                    }
                    beans.forEach((name, bean) -> registerBean(generic, name, bean));
                })
                .build();
        return new ShimmedApp(application.run(args.toArray(String[]::new)));
    }

    @SuppressWarnings("unchecked")
    private static <T> void registerBean(GenericApplicationContext context, String name, T bean) {
        context.registerBean(name, (Class<T>) bean.getClass(), () -> bean);
    }

    /** {@code http://127.0.0.1:<port>}. */
    URI baseUri() {
        return URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
    }

    /** The running application's context. */
    ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }

    /** Nothing but auto-configuration: the starter is on the class path. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {}
}
