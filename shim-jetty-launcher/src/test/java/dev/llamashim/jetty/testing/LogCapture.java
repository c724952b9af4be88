package dev.llamashim.jetty.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Everything logged through logback while it is open, as text, for assertions on log output. */
public final class LogCapture implements AutoCloseable {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root;

    private LogCapture() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        appender.setContext(context);
        appender.start();
        root.addAppender(appender);
    }

    /** Starts capturing. */
    public static LogCapture start() {
        return new LogCapture();
    }

    /** The events so far. */
    public List<ILoggingEvent> events() {
        return List.copyOf(appender.list);
    }

    /** Each event as {@code LEVEL logger - message}, followed by its stack trace if any. */
    public List<String> lines() {
        return events().stream().map(LogCapture::render).collect(Collectors.toList());
    }

    /** The lines of logger {@code name}'s events. */
    public List<String> messagesOf(String loggerName) {
        return events().stream().filter(e -> e.getLoggerName().equals(loggerName))
                .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    /** All of it as one text. */
    public String text() {
        return String.join("\n", lines());
    }

    private static String render(ILoggingEvent event) {
        String line = event.getLevel() + " " + event.getLoggerName() + " - " + event.getFormattedMessage();
        if (event.getThrowableProxy() != null) {
            line += "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy());
        }
        return line;
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
