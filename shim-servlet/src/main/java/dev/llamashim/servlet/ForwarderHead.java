package dev.llamashim.servlet;

import jakarta.servlet.http.HttpServletResponse;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The status, content type and headers the forwarder has set so far on its
 * {@link ForwarderResponse}; none of it reaches the client as such. Any thread may set or read.
 */
final class ForwarderHead {

    private final ShimLock lock = new ShimLock();
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();
    private int status = HttpServletResponse.SC_OK;
    private String contentType;
    private String charset;

    int status() {
        return lock.get(() -> status);
    }

    void status(int sc) {
        lock.run(() -> status = sc);
    }

    String contentType() {
        return lock.get(() -> contentType);
    }

    /** Sets the content type; its {@code charset} parameter, if any, too unless {@code keepCharset}. */
    void contentType(String type, boolean keepCharset) {
        lock.run(() -> {
            contentType = type;
            MediaType parsed = MediaType.parse(type);
            if (parsed != null && parsed.charset() != null && !keepCharset) {
                charset = parsed.charset();
            }
        });
    }

    /** The charset said, or {@code null}. */
    String charset() {
        return lock.get(() -> charset);
    }

    void charset(String name) {
        lock.run(() -> charset = name);
    }

    /** Sets {@code name}'s only value ({@code null} removes it). */
    void set(String name, String value) {
        lock.run(() -> {
            headers.removeIf(h -> h.getKey().equalsIgnoreCase(name));
            if (value != null) {
                headers.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
            }
        });
    }

    void add(String name, String value) {
        lock.run(() -> headers.add(new AbstractMap.SimpleImmutableEntry<>(name, value)));
    }

    /** The first value of {@code name}, or {@code null}. */
    String first(String name) {
        return lock.get(() -> headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue).findFirst().orElse(null));
    }

    List<String> all(String name) {
        return lock.get(() -> headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue).toList());
    }

    List<String> names() {
        return lock.get(() -> {
            LinkedHashSet<String> names = new LinkedHashSet<>();
            headers.forEach(h -> names.add(h.getKey()));
            return List.copyOf(names);
        });
    }

    /** The headers set so far (content type excluded), in order. */
    List<Map.Entry<String, String>> headers() {
        return lock.get(() -> List.copyOf(headers));
    }

    /** Back to a bare {@code 200}. */
    void clear() {
        lock.run(() -> {
            headers.clear();
            status = HttpServletResponse.SC_OK;
            contentType = null;
            charset = null;
        });
    }

    /** Whether the answer so far is a {@code 200} event stream with no content coding: one a repairer can read. */
    boolean isRepairableStream() {
        return lock.get(() -> {
            MediaType type = MediaType.parse(contentType);
            if (status != HttpServletResponse.SC_OK || type == null || !type.isEventStream()) {
                return false;
            }
            String coding = headers.stream().filter(h -> h.getKey().equalsIgnoreCase("Content-Encoding"))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            return coding == null || coding.trim().equalsIgnoreCase("identity");
        });
    }
}
