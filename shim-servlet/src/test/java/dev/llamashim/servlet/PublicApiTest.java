package dev.llamashim.servlet;

import dev.llamashim.core.testing.ApiSurface;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** shim-servlet's public API is the one listed in {@code api/shim-servlet.api}; see {@link ApiSurface}. */
class PublicApiTest {

    @Test
    void publicApiIsThePinnedOne() {
        ApiSurface.assertMatches(ToolStreamFilter.class, Path.of("api", "shim-servlet.api"));
    }
}
