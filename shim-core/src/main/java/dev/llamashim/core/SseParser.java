package dev.llamashim.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An incremental reader of {@code text/event-stream} bytes, fed in pieces split anywhere (inside a
 * line, inside a UTF-8 sequence, between {@code \r} and {@code \n}). It follows the WHATWG
 * event-stream rules: lines end with {@code \n}, {@code \r\n} or {@code \r}; a blank line ends an
 * event; several {@code data:} lines join with {@code \n}; one space after the colon is dropped;
 * {@code event:}, {@code id:}, {@code retry:} and unknown fields are ignored. Each comment line
 * is handed on as a {@link SseChunk.Comment}; {@code data: [DONE]} as {@link SseChunk#DONE}.
 *
 * <p>One deliberate difference from the spec: an event whose blank line never came (the stream
 * ended right after its {@code data:} line) is delivered by {@link #finish()} instead of being
 * discarded, because servers that forget the last blank line exist and their last event matters.
 *
 * <p>Not thread-safe: one parser per stream.
 */
public final class SseParser {

    /** The default bound on one line, so a stream without line breaks cannot exhaust memory. */
    public static final int DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

    private final Consumer<SseChunk> sink;
    private final int maxLineBytes;
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean lastWasCarriageReturn;
    private boolean atStart = true;
    private StringBuilder data;
    private boolean finished;

    /** A parser that hands each event to {@code sink}, with lines of at most 16 MiB. */
    public SseParser(Consumer<SseChunk> sink) {
        this(sink, DEFAULT_MAX_LINE_BYTES);
    }

    /** A parser that hands each event to {@code sink} and rejects lines over {@code maxLineBytes}. */
    public SseParser(Consumer<SseChunk> sink, int maxLineBytes) {
        this.sink = Objects.requireNonNull(sink, "sink");
        if (maxLineBytes < 1) {
            throw new ShimException("maxLineBytes must be at least 1, got " + maxLineBytes);
        }
        this.maxLineBytes = maxLineBytes;
    }

    /** Parses a whole stream at once. */
    public static List<SseChunk> parseAll(byte[] stream) {
        List<SseChunk> events = new ArrayList<>();
        SseParser parser = new SseParser(events::add);
        parser.feed(stream, 0, stream.length);
        parser.finish();
        return events;
    }

    /** Feeds the next {@code length} bytes of the stream, handing on each event they complete. */
    public void feed(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        checkOpen();
        for (int i = offset, end = offset + length; i < end; i++) {
            accept(bytes[i]);
        }
    }

    /** Feeds the buffer's remaining bytes, leaving its position at its limit. */
    public void feed(ByteBuffer bytes) {
        checkOpen();
        while (bytes.hasRemaining()) {
            accept(bytes.get());
        }
    }

    /** Ends the stream: a pending line and event are delivered (see the class comment). */
    public void finish() {
        if (finished) {
            return;
        }
        if (lineLength > 0) {
            endLine();
        }
        dispatch();
        finished = true;
    }

    private void accept(byte b) {
        if (b == '\n' && lastWasCarriageReturn) {
            lastWasCarriageReturn = false;
            return;
        }
        lastWasCarriageReturn = b == '\r';
        if (b == '\n' || b == '\r') {
            endLine();
            return;
        }
        if (lineLength == maxLineBytes) {
            throw new ShimException("event stream: a line is longer than " + maxLineBytes + " bytes");
        }
        if (lineLength == line.length) {
            line = Arrays.copyOf(line, (int) Math.min((long) line.length * 2, maxLineBytes));
        }
        line[lineLength++] = b;
    }

    private void endLine() {
        int start = 0;
        if (atStart) {
            atStart = false;
            // A UTF-8 byte order mark may open the stream; the spec says to skip it.
            if (lineLength >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
                start = 3;
            }
        }
        int length = lineLength - start;
        lineLength = 0;
        if (length == 0) {
            dispatch();
            return;
        }
        String text = new String(line, start, length, StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        if (colon == 0) {
            sink.accept(SseChunk.comment(text.startsWith(" ", 1) ? text.substring(2) : text.substring(1)));
            return;
        }
        String field = colon < 0 ? text : text.substring(0, colon);
        if (!field.equals("data")) {
            return;
        }
        String value = colon < 0 ? "" : text.substring(text.startsWith(" ", colon + 1) ? colon + 2 : colon + 1);
        if (data == null) {
            data = new StringBuilder(value);
        } else {
            data.append('\n').append(value);
        }
    }

    private void dispatch() {
        if (data == null) {
            return;
        }
        String event = data.toString();
        data = null;
        sink.accept(event.equals(SseFrames.DONE_DATA) ? SseChunk.DONE : SseChunk.data(event));
    }

    private void checkOpen() {
        if (finished) {
            throw new ShimException("event stream: fed after finish()");
        }
    }
}
