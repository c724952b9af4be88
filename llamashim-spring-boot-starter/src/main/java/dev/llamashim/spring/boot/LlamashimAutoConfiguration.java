package dev.llamashim.spring.boot;

import dev.llamashim.servlet.ShimListener;
import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.ToolStreamFilter;
import jakarta.servlet.DispatcherType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link ToolStreamFilter} in a servlet web application: async-supported, for
 * {@code REQUEST} and {@code ASYNC} dispatches, on {@code llamashim.url-patterns}, at
 * {@code llamashim.filter-order}, with settings from {@code llamashim.*}. Backs off when
 * {@code llamashim.enabled=false} or when the application has a {@code ToolStreamFilter} bean or a
 * {@code FilterRegistrationBean<ToolStreamFilter>} of its own; a {@link ShimSettings} bean of the
 * application replaces the one made from the properties, and a {@link ShimListener} bean of the
 * application hears what the filter did with each request (for metrics or logs).
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({ToolStreamFilter.class, FilterRegistrationBean.class})
@ConditionalOnProperty(prefix = "llamashim", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(LlamashimProperties.class)
public class LlamashimAutoConfiguration {

    /** The filter settings from {@code llamashim.*}. */
    @Bean
    @ConditionalOnMissingBean
    ShimSettings llamashimSettings(LlamashimProperties properties) {
        return properties.toSettings();
    }

    /** The filter's registration; the application's own filter or registration takes its place. */
    @Bean
    @ConditionalOnMissingBean(value = ToolStreamFilter.class, parameterizedContainer = FilterRegistrationBean.class)
    FilterRegistrationBean<ToolStreamFilter> llamashimFilter(
            ShimSettings settings, LlamashimProperties properties, ObjectProvider<ShimListener> listener) {
        ToolStreamFilter filter = new ToolStreamFilter(settings, listener.getIfUnique(() -> ShimListener.NONE));
        FilterRegistrationBean<ToolStreamFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("llamashim");
        registration.setUrlPatterns(properties.urlPatterns());
        // ASYNC: mode auto's retry is a dispatch of its own, and so is the end of a forwarder that calls AsyncContext.dispatch().
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
        registration.setAsyncSupported(true);
        registration.setOrder(properties.filterOrder());
        return registration;
    }
}
