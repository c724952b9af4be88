package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.TextToolCalls;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.SimulateWhen;
import dev.llamashim.servlet.ToolStreamFilter;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** What the auto-configuration registers, from which properties, and when it backs off. */
class LlamashimAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LlamashimAutoConfiguration.class));

    @Test
    void registersTheFilterForRequestAndAsyncDispatchesOnEveryPathBehindTheOrderedFilters() {
        web.run(context -> {
            FilterRegistrationBean<?> registration = context.getBean("llamashimFilter", FilterRegistrationBean.class);
            assertThat(registration.getFilter()).isInstanceOf(ToolStreamFilter.class);
            assertThat(registration.getUrlPatterns()).containsExactly("/*");
            assertThat(registration.determineDispatcherTypes()).containsExactlyInAnyOrder(DispatcherType.REQUEST, DispatcherType.ASYNC);
            assertThat(registration.isAsyncSupported()).isTrue();
            assertThat(registration.getOrder()).isEqualTo(Ordered.LOWEST_PRECEDENCE);
        });
    }

    @Test
    void withoutPropertiesTheSettingsAreTheFiltersDefaults() {
        web.run(context -> assertThat(context.getBean(ShimSettings.class)).isEqualTo(ShimSettings.defaults()));
    }

    @Test
    void bindsEverySettingFromItsProperty() {
        web.withPropertyValues(
                        "llamashim.mode=repair",
                        "llamashim.chunk-size=7",
                        "llamashim.simulate-when=always",
                        "llamashim.chat-paths=/chat/completions,/v2/chat",
                        "llamashim.max-body-bytes=1MB",
                        "llamashim.max-response-bytes=2048",
                        "llamashim.heartbeat-seconds=3",
                        "llamashim.text-tool-calls=off",
                        "llamashim.normalize-non-stream=true",
                        "llamashim.url-patterns=/v1/*,/openai/*",
                        "llamashim.filter-order=42")
                .run(context -> {
                    assertThat(context.getBean(ShimSettings.class)).isEqualTo(ShimSettings.builder()
                            .mode(Mode.REPAIR)
                            .chunkSize(7)
                            .simulateWhen(SimulateWhen.ALWAYS)
                            .chatPaths(List.of("/chat/completions", "/v2/chat"))
                            .maxBodyBytes(1024 * 1024)
                            .maxResponseBytes(2048)
                            .heartbeat(Duration.ofSeconds(3))
                            .textToolCalls(TextToolCalls.OFF)
                            .normalizeNonStream(true)
                            .build());
                    FilterRegistrationBean<?> registration = context.getBean("llamashimFilter", FilterRegistrationBean.class);
                    assertThat(registration.getUrlPatterns()).containsExactly("/v1/*", "/openai/*");
                    assertThat(registration.getOrder()).isEqualTo(42);
                });
    }

    @Test
    void takesSpringDurationsAndUpperCaseValues() {
        web.withPropertyValues("llamashim.mode=AUTO", "llamashim.heartbeat-seconds=0")
                .run(context -> {
                    ShimSettings settings = context.getBean(ShimSettings.class);
                    assertThat(settings.mode()).isEqualTo(Mode.AUTO);
                    assertThat(settings.heartbeats()).isFalse();
                });
        web.withPropertyValues("llamashim.heartbeat-seconds=500ms")
                .run(context -> assertThat(context.getBean(ShimSettings.class).heartbeat()).isEqualTo(Duration.ofMillis(500)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "llamashim.chunk-size=0          | llamashim.chunk-size must be at least 1, got 0",
        "llamashim.max-body-bytes=0      | llamashim.max-body-bytes must be between 1 and",
        "llamashim.max-response-bytes=3GB | llamashim.max-response-bytes must be between 1 and",
        "llamashim.heartbeat-seconds=-1  | llamashim.heartbeat-seconds must be 0 (off) or more",
        "llamashim.chat-paths=chat       | llamashim.chat-paths entries must start with \"/\", got \"chat\"",
        "llamashim.mode=fast             | llamashim.mode",
        "llamashim.simulate-when=never   | llamashim.simulate-when",
        "llamashim.chunk-size=many       | llamashim.chunk-size",
    })
    void aBadValueStopsTheStartNamingItsProperty(String property, String message) {
        web.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            assertThat(Causes.messages(context.getStartupFailure())).contains(message);
        });
    }

    @Test
    void enabledFalseRegistersNothingAndChecksNothing() {
        web.withPropertyValues("llamashim.enabled=false", "llamashim.chunk-size=0").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(FilterRegistrationBean.class);
            assertThat(context).doesNotHaveBean(ShimSettings.class);
        });
    }

    @Test
    void theApplicationsOwnFilterBeanWins() {
        web.withUserConfiguration(OwnFilter.class).run(context -> {
            assertThat(context).doesNotHaveBean("llamashimFilter");
            assertThat(context).hasSingleBean(ToolStreamFilter.class);
        });
    }

    @Test
    void theApplicationsOwnRegistrationWins() {
        web.withUserConfiguration(OwnRegistration.class).run(context -> {
            assertThat(context).doesNotHaveBean("llamashimFilter");
            assertThat(context.getBean("ownRegistration", FilterRegistrationBean.class).getUrlPatterns()).containsExactly("/own/*");
        });
    }

    @Test
    void theApplicationsOwnSettingsAreUsedForTheRegisteredFilter() {
        web.withUserConfiguration(OwnSettings.class).withPropertyValues("llamashim.chunk-size=7").run(context -> {
            assertThat(context).hasSingleBean(ShimSettings.class);
            assertThat(context.getBean(ShimSettings.class).mode()).isEqualTo(Mode.AUTO);
            assertThat(context).hasBean("llamashimFilter");
        });
    }

    @Test
    void doesNothingOutsideAServletWebApplication() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(LlamashimAutoConfiguration.class))
                .run(context -> {
                    assertThat(context).doesNotHaveBean(FilterRegistrationBean.class);
                    assertThat(context).doesNotHaveBean(LlamashimProperties.class);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnFilter {
        @Bean
        ToolStreamFilter ownFilter() {
            return new ToolStreamFilter(ShimSettings.defaults());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnRegistration {
        @Bean
        FilterRegistrationBean<ToolStreamFilter> ownRegistration() {
            FilterRegistrationBean<ToolStreamFilter> registration = new FilterRegistrationBean<>(new ToolStreamFilter(ShimSettings.defaults()));
            registration.addUrlPatterns("/own/*");
            return registration;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnSettings {
        @Bean
        ShimSettings ownSettings() {
            return ShimSettings.builder().mode(Mode.AUTO).build();
        }
    }
}
