package dev.llamashim.jetty;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line's log output: one line per event on standard output, e.g.
 * {@code 2026-11-27 16:40:00.123 INFO  access - POST /v1/chat/completions shimmed=true status=200 …}.
 * Done in code rather than by a {@code logback.xml}, so that a program that embeds the launcher
 * as a library keeps its own logging configuration.
 */
final class ConsoleLogging {

    private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    private ConsoleLogging() {}

    /** Replaces logback's default output, unless the user named a logback configuration file. */
    static void install() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context) || System.getProperty("logback.configurationFile") != null) {
            return;
        }
        context.reset();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("console");
        console.setEncoder(encoder);
        console.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(console);
    }
}
