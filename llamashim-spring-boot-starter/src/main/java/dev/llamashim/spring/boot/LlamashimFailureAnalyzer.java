package dev.llamashim.spring.boot;

import dev.llamashim.servlet.ShimConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a start that failed on a bad llamashim setting into Spring Boot's short failure report. */
class LlamashimFailureAnalyzer extends AbstractFailureAnalyzer<ShimConfigException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ShimConfigException cause) {
        return new FailureAnalysis(
                "llamashim's filter settings are invalid: " + cause.getMessage(),
                "Correct that llamashim.* property (application.properties or .yaml, the environment, or the command line),"
                        + " or set llamashim.enabled=false to run without llamashim.",
                cause);
    }
}
