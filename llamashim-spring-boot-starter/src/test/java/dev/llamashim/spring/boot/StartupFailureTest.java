package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamashim.servlet.testing.ReplayServlet;
import dev.llamashim.servlet.testing.Routes;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** What a person sees when an application starts with a bad llamashim property: Spring Boot's short report naming it. */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "llamashim.chunk-size=0       | llamashim's filter settings are invalid: llamashim.chunk-size must be at least 1, got 0",
        "llamashim.chat-paths=/v1/,v2 | llamashim's filter settings are invalid: llamashim.chat-paths entries must start with \"/\", got \"v2\"",
        "llamashim.mode=fast          | Property: llamashim.mode",
    })
    void aBadPropertyStopsTheStartWithAReportNamingIt(String property, String report, CapturedOutput output) {
        assertThatThrownBy(() -> ShimmedApp.start(ReplayServlet.sync(Routes.llamaServer("new")), Map.of(), property).close())
                .isInstanceOf(RuntimeException.class);

        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START").contains(report);
    }
}
