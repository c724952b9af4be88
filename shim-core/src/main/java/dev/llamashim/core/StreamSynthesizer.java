package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a complete {@link ChatResponse} into the {@code chat.completion.chunk} stream an OpenAI
 * client expects for {@code stream:true}, under a {@link ChunkingPolicy}. Thread-safe.
 *
 * <p>Per choice, in index order: a delta with {@code role} (plus {@code content:""} or
 * {@code reasoning_content:""} when the response had exactly that, and the message's extra
 * fields such as {@code refusal}); the {@code reasoning_content} pieces; the {@code content}
 * pieces; for each tool call a first delta with {@code index}, {@code id}, {@code type},
 * {@code function.name} and {@code arguments:""}, then its argument pieces with {@code index}
 * only. Then, per choice in index order, a chunk with an empty delta, the {@code finish_reason},
 * the choice's {@code logprobs} and its extra fields (with {@code n > 1} these finish chunks
 * follow all choices' deltas, as OpenAI sends them). With {@code includeUsage} and a response
 * that has {@code usage}, a chunk with {@code "choices":[]} and the usage follows. The
 * response's own extra top-level fields (llama-server's {@code timings}) ride on the very last
 * chunk before {@code data: [DONE]}, where llama-server itself puts them.
 */
public final class StreamSynthesizer {

    private static final SerializableString CHOICES = new SerializedString("choices");
    private static final SerializableString DATA = new SerializedString(SseFrames.DATA_PREFIX);
    private static final SerializableString CONTENT = new SerializedString("\"content\":");
    private static final SerializableString REASONING_CONTENT = new SerializedString("\"reasoning_content\":");
    private static final SerializableString EVENT_END = new SerializedString(SseFrames.EVENT_END);
    private static final SerializableString DONE = new SerializedString(SseFrames.DONE);
    /** What closes a text piece's chunk: the delta, {@code finish_reason}, the choice, {@code choices}, the chunk. */
    private static final SerializableString TEXT_PIECE_END = new SerializedString("},\"finish_reason\":null}]}");
    /** What closes an arguments piece's chunk: function, call, {@code tool_calls}, then as {@link #TEXT_PIECE_END}. */
    private static final SerializableString ARGUMENTS_PIECE_END = new SerializedString("}}]},\"finish_reason\":null}]}");

    private final ChunkingPolicy policy;

    /** A synthesizer that cuts text fields with {@code policy}. */
    public StreamSynthesizer(ChunkingPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * The stream as events, {@code data: [DONE]} last; the same events as {@link #toBytes}, for
     * tests that look at them one by one.
     *
     * @param includeUsage whether the client asked for {@code stream_options.include_usage}
     */
    List<SseChunk> synthesize(ChatResponse response, boolean includeUsage) {
        StringWriter buffer = new StringWriter(256);
        List<SseChunk> chunks = new ArrayList<>();
        try (JsonGenerator g = Json.FACTORY.createGenerator(buffer)) {
            new Emitter(g, response, new Framing() {
                @Override
                public void open() {}

                @Override
                public void close() throws IOException {
                    g.flush();
                    chunks.add(SseChunk.data(buffer.toString()));
                    buffer.getBuffer().setLength(0);
                }

                @Override
                public void done() {
                    chunks.add(SseChunk.DONE);
                }
            }).emit(includeUsage);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return List.copyOf(chunks);
    }

    /**
     * Writes the stream's exact bytes to {@code out}, without building the events first; the
     * caller flushes and closes {@code out}.
     */
    public void writeTo(ChatResponse response, boolean includeUsage, OutputStream out) throws IOException {
        try (JsonGenerator g = Json.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            new Emitter(g, response, new Framing() {
                @Override
                public void open() throws IOException {
                    g.writeRaw(DATA);
                }

                @Override
                public void close() throws IOException {
                    g.writeRaw(EVENT_END);
                }

                @Override
                public void done() throws IOException {
                    g.writeRaw(DONE);
                }
            }).emit(includeUsage);
        }
    }

    /** The stream's exact bytes. */
    public byte[] toBytes(ChatResponse response, boolean includeUsage) {
        ByteSink out = new ByteSink(estimateSize(response));
        try {
            writeTo(response, includeUsage, out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    /**
     * An upper bound of the stream's size for the usual answer, so the buffer is allocated once:
     * every piece repeats the envelope (id, model… about 150 bytes with the chunk's own framing),
     * and text grows a little when escaped.
     */
    private int estimateSize(ChatResponse response) {
        int size = policy instanceof CodePointPieces by ? by.size() : Integer.MAX_VALUE;
        long envelope = 160 + response.id().length() + response.model().length()
                + (response.systemFingerprint() == null ? 0 : response.systemFingerprint().length());
        long bytes = 512 + extrasLength(response.extras()) + (response.usage() == null ? 0 : response.usage().json().length());
        for (Choice choice : response.choices()) {
            Message m = choice.message();
            bytes += 2 * envelope + extrasLength(m.extras()) + extrasLength(choice.extras())
                    + (choice.logprobs() == null ? 0 : choice.logprobs().json().length());
            bytes += textSize(m.content(), size, envelope) + textSize(m.reasoningContent(), size, envelope);
            for (ToolCall call : m.toolCalls()) {
                bytes += envelope + 64 + call.id().length() + call.name().length()
                        + extrasLength(call.extras()) + extrasLength(call.functionExtras())
                        + textSize(call.arguments(), size, envelope + 40);
            }
        }
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes);
    }

    private static long textSize(String text, int piece, long envelope) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        long pieces = (text.length() + (long) piece - 1) / piece;
        return pieces * envelope + text.length() + text.length() / 2;
    }

    private static long extrasLength(Map<String, RawJson> extras) {
        long length = 0;
        for (Map.Entry<String, RawJson> field : extras.entrySet()) {
            length += field.getKey().length() + field.getValue().json().length() + 4;
        }
        return length;
    }

    /** A byte buffer that hands over its array without a copy when the size estimate was exact, else copies once. */
    private static final class ByteSink extends OutputStream {
        private byte[] bytes;
        private int size;

        ByteSink(int capacity) {
            bytes = new byte[capacity];
        }

        @Override
        public void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        private void ensure(int more) {
            if (more > bytes.length - size) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(2L * bytes.length, (long) size + more)));
            }
        }

        byte[] toByteArray() {
            return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        }
    }

    /** Where each chunk starts and ends: SSE framing on a byte stream, or one event per chunk. */
    private interface Framing {
        void open() throws IOException;

        void close() throws IOException;

        void done() throws IOException;
    }

    /** Writes one response's chunks; one instance per call. */
    private final class Emitter {

        private final JsonGenerator g;
        private final ChatResponse response;
        private final Framing framing;
        /** {@code "id":…,"object":…,"created":…,"model":…[,"system_fingerprint":…],}, rendered once. */
        private final SerializableString envelope;
        private final String envelopeText;
        /** The piece being written, reused: the generator takes text as chars. */
        private char[] piece = new char[64];

        Emitter(JsonGenerator g, ChatResponse response, Framing framing) throws IOException {
            this.g = g;
            this.response = response;
            this.framing = framing;
            this.envelopeText = Json.escapeLoneSurrogates(envelope(response));
            this.envelope = new SerializedString(envelopeText);
            // Chunks are separate root values; Jackson would otherwise put a space between them.
            g.setRootValueSeparator(null);
        }

        void emit(boolean includeUsage) throws IOException {
            List<Choice> choices = response.choices();
            for (Choice choice : choices) {
                emitDeltas(choice);
            }
            // Every choice's finish chunk comes after all choices' deltas, as OpenAI sends them:
            // openai-java's ChatCompletionAccumulator treats the stream as over once every choice
            // it has seen is finished, and rejects any chunk after that but the usage chunk.
            boolean usageChunk = includeUsage && response.usage() != null;
            for (int c = 0; c < choices.size(); c++) {
                emitFinish(choices.get(c), !usageChunk && c == choices.size() - 1);
            }
            if (usageChunk) {
                begin();
                g.writeStartArray();
                g.writeEndArray();
                g.writeFieldName("usage");
                writeRaw(response.usage());
                writeFields(response.extras());
                end();
            }
            framing.done();
        }

        private void emitDeltas(Choice choice) throws IOException {
            Message message = choice.message();
            int index = choice.index();

            beginDelta(index);
            g.writeStringField("role", message.role());
            if ("".equals(message.reasoningContent())) {
                g.writeStringField("reasoning_content", "");
            }
            if ("".equals(message.content())) {
                g.writeStringField("content", "");
            }
            writeFields(message.extras());
            endDelta();

            // The start of every piece's chunk for this choice, up to its delta's first field.
            SerializableString deltaStart = new SerializedString("{" + envelopeText + "\"choices\":[{\"index\":" + index
                    + ",\"delta\":{");
            textPieces(deltaStart, REASONING_CONTENT, message.reasoningContent());
            textPieces(deltaStart, CONTENT, message.content());
            for (ToolCall call : message.toolCalls()) {
                toolCall(index, deltaStart, call);
            }
        }

        private void emitFinish(Choice choice, boolean lastChunkOfStream) throws IOException {
            beginDelta(choice.index());
            g.writeEndObject();
            g.writeStringField("finish_reason", choice.effectiveFinishReason());
            if (choice.logprobs() != null) {
                g.writeFieldName("logprobs");
                writeRaw(choice.logprobs());
            }
            writeFields(choice.extras());
            g.writeEndObject();
            g.writeEndArray();
            if (lastChunkOfStream) {
                writeFields(response.extras());
            }
            end();
        }

        private void textPieces(SerializableString deltaStart, SerializableString field, String text) throws IOException {
            if (text == null || text.isEmpty()) {
                return;
            }
            pieces(text, deltaStart, field, TEXT_PIECE_END);
        }

        private void toolCall(int choiceIndex, SerializableString deltaStart, ToolCall call) throws IOException {
            beginToolCall(choiceIndex, call.index());
            g.writeStringField("id", call.id());
            g.writeStringField("type", call.type());
            g.writeObjectFieldStart("function");
            g.writeStringField("name", call.name());
            g.writeStringField("arguments", "");
            writeFields(call.functionExtras());
            g.writeEndObject();
            writeFields(call.extras());
            endToolCall();

            pieces(call.arguments(), deltaStart, new SerializedString("\"tool_calls\":[{\"index\":" + call.index()
                    + ",\"function\":{\"arguments\":"), ARGUMENTS_PIECE_END);
        }

        /**
         * One chunk per piece of {@code text}: the chunk's fixed JSON around the piece is written
         * raw, only the piece itself goes through the generator's string escaping. The bytes are
         * those the generator writes for the same chunk built field by field.
         */
        private void pieces(String text, SerializableString deltaStart, SerializableString field, SerializableString after)
                throws IOException {
            for (int start = 0; start < text.length(); ) {
                int end = policy.pieceEnd(text, start);
                int length = end - start;
                if (piece.length < length) {
                    piece = new char[Math.max(length, 2 * piece.length)];
                }
                text.getChars(start, end, piece, 0);
                framing.open();
                g.writeRaw(deltaStart);
                g.writeRaw(field);
                // At the root, between raw text: the generator adds nothing but the quoted string.
                g.writeString(piece, 0, length);
                g.writeRaw(after);
                framing.close();
                start = end;
            }
        }

        private void beginToolCall(int choiceIndex, int callIndex) throws IOException {
            beginDelta(choiceIndex);
            g.writeArrayFieldStart("tool_calls");
            g.writeStartObject();
            g.writeNumberField("index", callIndex);
        }

        private void endToolCall() throws IOException {
            g.writeEndObject();
            g.writeEndArray();
            endDelta();
        }

        /** Opens a chunk and its choices array (the next value written is that array's content). */
        private void begin() throws IOException {
            framing.open();
            g.writeStartObject();
            g.writeRaw(envelope);
            g.writeFieldName(CHOICES);
        }

        /** Opens a chunk for choice {@code index} and leaves the generator inside its delta. */
        private void beginDelta(int index) throws IOException {
            begin();
            g.writeStartArray();
            g.writeStartObject();
            g.writeNumberField("index", index);
            g.writeObjectFieldStart("delta");
        }

        /** Closes the delta and the chunk of a choice that is not finished yet. */
        private void endDelta() throws IOException {
            g.writeEndObject();
            g.writeNullField("finish_reason");
            g.writeEndObject();
            g.writeEndArray();
            end();
        }

        private void end() throws IOException {
            g.writeEndObject();
            framing.close();
        }

        private void writeFields(Map<String, RawJson> fields) throws IOException {
            for (Map.Entry<String, RawJson> field : fields.entrySet()) {
                g.writeFieldName(field.getKey());
                writeRaw(field.getValue());
            }
        }

        private void writeRaw(RawJson value) throws IOException {
            g.writeRawValue(Json.escapeLoneSurrogates(value.json()));
        }
    }

    private static String envelope(ChatResponse response) throws IOException {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", response.id());
            g.writeStringField("object", "chat.completion.chunk");
            g.writeNumberField("created", response.created());
            g.writeStringField("model", response.model());
            if (response.systemFingerprint() != null) {
                g.writeStringField("system_fingerprint", response.systemFingerprint());
            }
            g.writeEndObject();
        }
        // Keep the fields, drop the braces, and end with the comma that precedes "choices".
        String object = out.toString();
        return object.substring(1, object.length() - 1) + ",";
    }
}
