package dev.llamashim.core;

import dev.llamashim.core.testing.ApiSurface;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** shim-core's public API is the one listed in {@code api/shim-core.api}; see {@link ApiSurface}. */
class PublicApiTest {

    @Test
    void publicApiIsThePinnedOne() {
        ApiSurface.assertMatches(ChatResponse.class, Path.of("api", "shim-core.api"));
    }
}
