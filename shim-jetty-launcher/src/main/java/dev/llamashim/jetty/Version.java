package dev.llamashim.jetty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The launcher's version, as the build wrote it into {@code version.properties}. */
final class Version {

    private Version() {}

    /** e.g. {@code 0.1.0}; {@code unknown} when the class path lacks the file. */
    static String current() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException("reading version.properties from the class path failed", e);
        }
    }
}
