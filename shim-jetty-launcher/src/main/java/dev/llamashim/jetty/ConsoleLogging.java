package dev.llamashim.jetty;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line's log output: one line per event on standard output, e.g.
 * {@code 2026-11-27 16:40:00.123 INFO  access - POST /v1/chat/completions shimmed=true status=200 …}.
 * Lines below WARN are buffered and written at least every {@value #FLUSH_MILLIS} ms, so a busy
 * launcher does not pay a write to the console per request; WARN and ERROR lines are written at
 * once, and {@link #flush()} writes what is held. Done in code rather than by a {@code logback.xml},
 * so that a program that embeds the launcher as a library keeps its own logging configuration.
 */
final class ConsoleLogging {

    private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    /** Longest a buffered line waits before it is written. */
    static final long FLUSH_MILLIS = 200;

    private static final int BUFFER_BYTES = 64 * 1024;

    private static volatile BufferedConsoleAppender installed;

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
        BufferedConsoleAppender console = new BufferedConsoleAppender(System.out);
        console.setContext(context);
        console.setName("console");
        console.setEncoder(encoder);
        console.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(console);
        installed = console;
    }

    /** Writes the lines still held; does nothing when {@link #install()} did not install the console output. */
    static void flush() {
        BufferedConsoleAppender console = installed;
        if (console != null) {
            console.flushHeld();
        }
    }

    /** Logback's stream appender over a buffered standard output, flushed by a timer and by warnings. */
    private static final class BufferedConsoleAppender extends OutputStreamAppender<ILoggingEvent> {

        private final BufferedOutputStream buffer;
        private ScheduledExecutorService timer;

        BufferedConsoleAppender(PrintStream console) {
            // Writes through to the console, and never closes it.
            this.buffer = new BufferedOutputStream(new OutputStream() {
                @Override
                public void write(int b) {
                    console.write(b);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) {
                    console.write(bytes, offset, length);
                }

                @Override
                public void flush() {
                    console.flush();
                }
            }, BUFFER_BYTES);
        }

        @Override
        public void start() {
            setOutputStream(buffer);
            setImmediateFlush(false);
            timer = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "llamashim-log-flush");
                thread.setDaemon(true);
                return thread;
            });
            timer.scheduleWithFixedDelay(this::flushHeld, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
            super.start();
        }

        @Override
        public void stop() {
            if (timer != null) {
                timer.shutdownNow();
            }
            // Closing the buffer writes what it holds; the console itself stays open.
            super.stop();
        }

        @Override
        protected void subAppend(ILoggingEvent event) {
            super.subAppend(event);
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                flushHeld();
            }
        }

        /** The buffer is a {@link BufferedOutputStream}: its writes and this flush exclude each other. */
        void flushHeld() {
            try {
                buffer.flush();
            } catch (IOException e) {
                // The console wrapper does not throw; PrintStream keeps its own error flag.
            }
        }
    }
}
