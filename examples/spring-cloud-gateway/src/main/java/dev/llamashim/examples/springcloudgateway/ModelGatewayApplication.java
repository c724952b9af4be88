package dev.llamashim.examples.springcloudgateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Spring Cloud Gateway (server WebMVC) in front of a model server: the route is configuration
 * ({@code application.yaml}), and llamashim comes with its starter on the class path, configured
 * by {@code llamashim.*} properties. There is no llamashim code here.
 */
@SpringBootApplication
public class ModelGatewayApplication {

    /** Runs the gateway; settings come from {@code application.yaml}, the environment or {@code --key=value}. */
    public static void main(String[] args) {
        SpringApplication.run(ModelGatewayApplication.class, args);
    }
}
