package dev.llamashim.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One event of a {@code text/event-stream}: a {@code data:} event, a comment (a heartbeat), or
 * the closing {@code data: [DONE]}. Each renders its exact bytes, framed by {@link SseFrames}.
 */
public sealed interface SseChunk permits SseChunk.Data, SseChunk.Comment, SseChunk.Done {

    /** The closing event, {@code data: [DONE]}. */
    Done DONE = new Done();

    /** A {@code data:} event carrying {@code data} (a chunk's JSON). */
    static Data data(String data) {
        return new Data(data);
    }

    /** A comment line such as a {@code keep-alive} heartbeat. */
    static Comment comment(String text) {
        return new Comment(text);
    }

    /** The event as it goes on the wire, blank line included. */
    String render();

    /** {@link #render()} as UTF-8 bytes. */
    default byte[] toBytes() {
        return render().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A data event. Data with line breaks renders one {@code data:} line per line, which SSE
     * readers join back with {@code \n}.
     *
     * @param data the event's data, usually one chunk's JSON
     */
    record Data(String data) implements SseChunk {

        /** Rejects null data. */
        public Data {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public String render() {
            return SseFrames.dataEvent(data);
        }
    }

    /**
     * A comment, which SSE readers ignore; used as a heartbeat.
     *
     * @param text the comment's text, without the leading colon
     */
    record Comment(String text) implements SseChunk {

        /** Rejects null text. */
        public Comment {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String render() {
            return SseFrames.commentEvent(text);
        }
    }

    /** The closing {@code data: [DONE]}; use {@link SseChunk#DONE}. */
    record Done() implements SseChunk {

        @Override
        public String render() {
            return SseFrames.DONE;
        }
    }
}
