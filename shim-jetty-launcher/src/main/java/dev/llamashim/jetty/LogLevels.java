package dev.llamashim.jetty;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log_level} to logback: the root logger gets it, Jetty's loggers and the JDK's own
 * ({@code jdk.*}, which reach logback through System.Logger) get it but never below WARN. Jetty at
 * DEBUG would print every proxied header ({@code Authorization} included), the JDK HTTP client
 * every URL with its query, and Jetty at INFO its own start banner; to see those anyway,
 * configure logback yourself.
 */
final class LogLevels {

    /** Jetty's logger tree. */
    static final String JETTY = "org.eclipse.jetty";
    /**
     * Jetty's TLS setup warnings. With {@code verify_ssl: false} it warns twice (trust all, no host
     * name check) in its own words; the launcher says it once, in the config's words.
     */
    static final String JETTY_TLS_CONFIG = "org.eclipse.jetty.util.ssl.SslContextFactory.config";

    /** The JDK's platform loggers (its HTTP client logs URLs, query strings included, at DEBUG). */
    static final String JDK = "jdk";

    private static final Logger LOG = LoggerFactory.getLogger(LogLevels.class);

    private LogLevels() {}

    /** Sets the levels; with another SLF4J backend on the class path, says once that it cannot. */
    static void apply(LogLevel level) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            LOG.warn("log_level {} not applied: the SLF4J backend is {}, not logback", level.configName(),
                    factory.getClass().getName());
            return;
        }
        Level logback = toLogback(level);
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(logback);
        Level atLeastWarn = logback.isGreaterOrEqual(Level.WARN) ? logback : Level.WARN;
        context.getLogger(JETTY).setLevel(atLeastWarn);
        context.getLogger(JDK).setLevel(atLeastWarn);
        context.getLogger(JETTY_TLS_CONFIG).setLevel(Level.ERROR);
    }

    static Level toLogback(LogLevel level) {
        return switch (level) {
            case DEBUG -> Level.DEBUG;
            case INFO -> Level.INFO;
            case WARN -> Level.WARN;
            case ERROR -> Level.ERROR;
        };
    }
}
