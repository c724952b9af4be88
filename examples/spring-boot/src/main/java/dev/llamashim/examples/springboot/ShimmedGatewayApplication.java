package dev.llamashim.examples.springboot;

import dev.llamashim.examples.gateway.GatewayConfig;
import dev.llamashim.examples.gateway.GatewayServlet;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot app (Tomcat inside) that forwards {@code /v1/*} to a model server with the gateway
 * servlet. llamashim's filter comes from {@code llamashim-spring-boot-starter} on the class path,
 * configured by {@code llamashim.*} properties. The forwarding is a plain async servlet, so it runs
 * beside (not through) Spring MVC's {@code DispatcherServlet}.
 */
@SpringBootApplication
public class ShimmedGatewayApplication {

    /** The gateway servlet at {@code /v1/*}, async-supported, configured from {@code model.*} properties. */
    @Bean
    ServletRegistrationBean<GatewayServlet> gatewayServlet(
            @Value("${model.url:http://127.0.0.1:8080}") URI modelUrl,
            @Value("${model.api-key:}") String apiKey,
            @Value("${model.response-timeout:600s}") Duration responseTimeout) {
        GatewayServlet gateway = new GatewayServlet(new GatewayConfig(List.of(modelUrl), apiKey, responseTimeout));
        ServletRegistrationBean<GatewayServlet> registration = new ServletRegistrationBean<>(gateway, "/v1/*");
        registration.setAsyncSupported(true);
        return registration;
    }

    /** Runs the app; settings come from {@code application.properties}, the environment or {@code --key=value}. */
    public static void main(String[] args) {
        SpringApplication.run(ShimmedGatewayApplication.class, args);
    }
}
