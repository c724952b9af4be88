package dev.llamashim.jetty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamashim.servlet.ShimOutcome;
import dev.llamashim.servlet.ShimRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes captured requests into {@code capture_dir}, one directory per request
 * ({@code capture-<UTC time>-<n>}, so names sort oldest first) holding {@code meta.json},
 * {@code upstream-<attempt>.body} and {@code client.body}. After each write the oldest captures
 * are deleted until at most {@code capture_max_requests} are left, holding at most
 * {@code capture_max_bytes}. The meta file names the method, path (never the query), statuses
 * and what llamashim did; no header, so no {@code Authorization}, API key or cookie, is ever written.
 */
final class CaptureWriter {

    private static final String PREFIX = "capture-";
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    /** Most bytes kept of one answer: a quarter of the total, so one request's files always fit, and at most 1 MiB. */
    private static final int MAX_PART = 1024 * 1024;

    private final Path dir;
    private final CaptureWhen when;
    private final int maxRequests;
    private final long maxBytes;
    private long written;

    /**
     * @throws LauncherException (configuration error) when {@code dir} cannot be created
     */
    CaptureWriter(Path dir, CaptureWhen when, int maxRequests, long maxBytes) {
        this.dir = dir;
        this.when = when;
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw LauncherException.config("capture_dir: cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Most bytes a capture keeps of each answer. */
    int partLimit() {
        return (int) Math.min(MAX_PART, maxBytes / 4);
    }

    /** Whether a request that ended with {@code status} and {@code record} (may be {@code null}) is to be captured. */
    boolean wanted(int status, ShimRecord record) {
        boolean error = status >= 400 || (record != null && (record.outcome() == ShimOutcome.ERROR || record.clientGone()));
        return switch (when) {
            case ALL -> true;
            case ERRORS -> error;
            case REPAIRED -> error || (record != null && !record.repairs().isEmpty());
        };
    }

    /**
     * Deletes the oldest captures until this one fits the bounds, then writes it ({@code meta.json}
     * last, so a capture with a meta file is complete).
     */
    synchronized void write(RequestCapture capture, String method, String path, int status, ShimRecord record, Instant at)
            throws IOException {
        Path target = dir.resolve(PREFIX + NAME_TIME.format(at) + "-" + (++written));
        ObjectNode meta = JSON.createObjectNode();
        meta.put("time", at.toString());
        meta.put("method", method);
        meta.put("path", path);
        meta.put("status", status);
        if (record != null) {
            meta.put("path_class", record.pathClass().label());
            meta.put("outcome", record.outcome().label());
            meta.put("error", record.errorCode());
            meta.set("mended", JSON.valueToTree(record.repairs().mended()));
            meta.set("extracted", JSON.valueToTree(record.repairs().extracted()));
            meta.put("retry_reason", record.retryReason());
            meta.put("client_gone", record.clientGone());
        }
        ArrayNode upstream = meta.putArray("upstream");
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (RequestCapture.Upstream answer : capture.upstream()) {
            String file = "upstream-" + (upstream.size() + 1) + ".body";
            files.put(file, answer.body().bytes());
            upstream.addObject().put("file", file).put("status", answer.status()).put("content_type", answer.contentType())
                    .put("bytes", answer.body().seen()).put("cut", answer.body().cut());
        }
        RequestCapture.Part client = capture.client();
        files.put("client.body", client.bytes());
        meta.putObject("client").put("file", "client.body").put("bytes", client.seen()).put("cut", client.cut());
        files.put("meta.json", JSON.writeValueAsBytes(meta));
        makeRoom(files.values().stream().mapToLong(bytes -> bytes.length).sum());
        Files.createDirectories(target);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(target.resolve(file.getKey()), file.getValue());
        }
    }

    /** Deletes the oldest captures until one more, of {@code bytes}, fits both bounds. */
    private void makeRoom(long bytes) throws IOException {
        List<Path> captures;
        try (Stream<Path> entries = Files.list(dir)) {
            captures = new ArrayList<>(entries.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString(), CaptureWriter::byTimeThenNumber))
                    .toList());
        }
        List<Long> sizes = new ArrayList<>();
        long total = 0;
        for (Path capture : captures) {
            long size = size(capture);
            sizes.add(size);
            total += size;
        }
        while (!captures.isEmpty() && (captures.size() + 1 > maxRequests || total + bytes > maxBytes)) {
            delete(captures.remove(0));
            total -= sizes.remove(0);
        }
    }

    /** Names sort by time, then by number (so {@code -10} comes after {@code -9} within one millisecond). */
    private static int byTimeThenNumber(String a, String b) {
        int dashA = a.lastIndexOf('-');
        int dashB = b.lastIndexOf('-');
        int time = a.substring(0, dashA).compareTo(b.substring(0, dashB));
        if (time != 0) {
            return time;
        }
        return Long.compare(number(a.substring(dashA + 1)), number(b.substring(dashB + 1)));
    }

    private static long number(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long size(Path capture) throws IOException {
        try (Stream<Path> files = Files.list(capture)) {
            return files.mapToLong(file -> {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void delete(Path capture) throws IOException {
        try (Stream<Path> files = Files.list(capture)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(capture);
    }

}
