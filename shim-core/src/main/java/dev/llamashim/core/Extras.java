package dev.llamashim.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Unmodifiable, order-keeping copies of the "fields we carry but do not name" maps. */
final class Extras {

    private Extras() {}

    static Map<String, RawJson> copyOf(Map<String, RawJson> extras) {
        if (extras == null || extras.isEmpty()) {
            return Map.of();
        }
        // Map.copyOf would lose the response's field order, which users see in the stream.
        return Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }
}
