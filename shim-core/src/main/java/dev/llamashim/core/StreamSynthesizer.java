package dev.llamashim.core;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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

    private final ChunkingPolicy policy;

    /** A synthesizer that cuts text fields with {@code policy}. */
    public StreamSynthesizer(ChunkingPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * The stream as events, {@code data: [DONE]} last.
     *
     * @param includeUsage whether the client asked for {@code stream_options.include_usage}
     */
    public List<SseChunk> synthesize(ChatResponse response, boolean includeUsage) {
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
                    g.writeRaw("data: ");
                }

                @Override
                public void close() throws IOException {
                    g.writeRaw("\n\n");
                }

                @Override
                public void done() throws IOException {
                    g.writeRaw("data: [DONE]\n\n");
                }
            }).emit(includeUsage);
        }
    }

    /** The stream's exact bytes. */
    public byte[] toBytes(ChatResponse response, boolean includeUsage) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimateSize(response));
        try {
            writeTo(response, includeUsage, out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    private int estimateSize(ChatResponse response) {
        long text = 0;
        for (Choice choice : response.choices()) {
            Message m = choice.message();
            text += m.content() == null ? 0 : m.content().length();
            text += m.reasoningContent() == null ? 0 : m.reasoningContent().length();
            for (ToolCall call : m.toolCalls()) {
                text += call.arguments().length() + 64;
            }
        }
        // Each piece costs one chunk envelope of roughly 200 bytes.
        long pieces = policy instanceof ChunkingPolicy.ByCodePoints by ? text / by.size() + 8 : 8;
        return (int) Math.min(Integer.MAX_VALUE - 8, text + pieces * 200 + 512);
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

        Emitter(JsonGenerator g, ChatResponse response, Framing framing) throws IOException {
            this.g = g;
            this.response = response;
            this.framing = framing;
            this.envelope = new SerializedString(Json.escapeLoneSurrogates(envelope(response)));
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

            textPieces(index, "reasoning_content", message.reasoningContent());
            textPieces(index, "content", message.content());
            for (ToolCall call : message.toolCalls()) {
                toolCall(index, call);
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

        private void textPieces(int index, String field, String text) throws IOException {
            if (text == null || text.isEmpty()) {
                return;
            }
            char[] chars = text.toCharArray();
            for (int start = 0; start < chars.length; ) {
                int end = policy.pieceEnd(text, start);
                beginDelta(index);
                g.writeFieldName(field);
                g.writeString(chars, start, end - start);
                endDelta();
                start = end;
            }
        }

        private void toolCall(int choiceIndex, ToolCall call) throws IOException {
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

            String arguments = call.arguments();
            char[] chars = arguments.toCharArray();
            for (int start = 0; start < chars.length; ) {
                int end = policy.pieceEnd(arguments, start);
                beginToolCall(choiceIndex, call.index());
                g.writeObjectFieldStart("function");
                g.writeFieldName("arguments");
                g.writeString(chars, start, end - start);
                g.writeEndObject();
                endToolCall();
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
