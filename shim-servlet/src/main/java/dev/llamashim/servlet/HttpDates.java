package dev.llamashim.servlet;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** HTTP-date formatting (RFC 9110, IMF-fixdate) for date headers set by the forwarder. */
final class HttpDates {

    private HttpDates() {}

    static String format(long epochMillis) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC));
    }
}
