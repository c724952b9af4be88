package dev.llamashim.jetty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.llamashim.core.ChatResponse;
import dev.llamashim.core.RepairOptions;
import dev.llamashim.core.ShimException;
import dev.llamashim.core.SseChunk;
import dev.llamashim.core.SseParser;
import dev.llamashim.core.ToolCall;
import dev.llamashim.servlet.Mode;
import dev.llamashim.servlet.RepairCounts;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * {@code java -jar llamashim.jar probe}: asks a model server a few small requests (its models; a
 * tool call with {@code stream:false}, and with {@code stream:true} with and without
 * {@code include_usage}; a plain stream with and without it), runs its answers through
 * shim-core's repair as llamashim would, and says which mode serves streaming tool calls from it.
 * Each request is bounded by {@code request_timeout}, and the whole run by a total time; after a
 * request times out, or once the total time is up, the rest are not asked. An API key, when given,
 * goes in each request's {@code Authorization} header and nowhere else.
 */
final class Probe {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"Get the current weather in a city\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}";
    private static final String ASK_TOOL = "What is the weather in Paris? Use the get_weather tool.";
    private static final String ASK_TEXT = "Say hello in three words.";
    private static final String MODELS = "GET /v1/models";

    private final URI target;
    private final Duration timeout;
    private final Duration total;
    private final String apiKey;
    private final HttpClient client;
    private String model;
    private boolean silent;
    private boolean outOfTime;
    private long startNanos;

    /**
     * @param target the model server's base URL ({@code target_url})
     * @param model the model to name, or {@code null} to take the first the server lists
     * @param timeout the bound of each request ({@code request_timeout})
     * @param total the bound of the whole run
     * @param apiKey sent as {@code Authorization: Bearer …}, or {@code null} for none
     * @param client the client to ask with, its TLS set up from {@code verify_ssl}
     */
    Probe(URI target, String model, Duration timeout, Duration total, String apiKey, HttpClient client) {
        this.target = target;
        this.model = model;
        this.timeout = timeout;
        this.total = total;
        this.apiKey = apiKey;
        this.client = client;
    }

    /** Asks the requests and judges the answers. */
    ProbeReport run() {
        startNanos = System.nanoTime();
        List<ProbeCheck> checks = new ArrayList<>();
        checks.add(models());
        ProbeCheck json = chat("tools, stream:false", true, false, false);
        ProbeCheck stream = chat("tools, stream:true", true, true, false);
        ProbeCheck streamUsage = chat("tools, stream:true + include_usage", true, true, true);
        ProbeCheck plain = chat("no tools, stream:true", false, true, false);
        ProbeCheck plainUsage = chat("no tools, stream:true + include_usage", false, true, true);
        checks.addAll(List.of(json, stream, streamUsage, plain, plainUsage));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
        return new ProbeReport(target.toString(), model == null ? "" : model, apiKey != null, checks,
                verdictMode(json, stream), verdictWhy(checks.get(0), json, stream, streamUsage), elapsed, total);
    }

    private ProbeCheck models() {
        Answer answer = send(HttpRequest.newBuilder(URI.create(target + "/v1/models")).GET());
        if (answer.status() == 401 || answer.status() == 403) {
            return new ProbeCheck(MODELS, true, answer.status(), false, List.of(), RepairCounts.NONE, false, false,
                    answer.status() + ": " + excerpt(answer.body()) + (apiKey == null
                            ? " (no API key was sent: give one with --api-key or LLAMASHIM_PROBE_API_KEY)"
                            : " (the API key given was sent)"));
        }
        if (answer.failure() != null) {
            return ProbeCheck.unanswered(MODELS, answer.failure());
        }
        List<String> ids = new ArrayList<>();
        try {
            for (JsonNode entry : JSON.readTree(answer.body()).path("data")) {
                ids.add(entry.path("id").asText());
            }
        } catch (IOException e) {
            // Not JSON: reported below as no models listed.
        }
        if (model == null && !ids.isEmpty()) {
            model = ids.get(0);
        }
        String detail = answer.status() + (ids.isEmpty() ? ", no models listed" : ", models: " + String.join(", ", ids));
        return new ProbeCheck(MODELS, true, answer.status(), false, List.of(), RepairCounts.NONE,
                false, false, detail);
    }

    private ProbeCheck chat(String name, boolean tools, boolean stream, boolean includeUsage) {
        if (silent) {
            return ProbeCheck.unanswered(name, "not asked: an earlier request got no answer within request_timeout");
        }
        if (outOfTime) {
            return ProbeCheck.unanswered(name, "not asked: " + totalUp());
        }
        byte[] body = requestBody(tools, stream, includeUsage);
        Answer answer = send(HttpRequest.newBuilder(URI.create(target + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        if (answer.failure() != null) {
            return ProbeCheck.unanswered(name, answer.failure());
        }
        String type = answer.contentType().toLowerCase(Locale.ROOT);
        boolean eventStream = answer.status() == 200 && type.startsWith("text/event-stream");
        if (answer.status() != 200 || (stream && !eventStream)) {
            String why = stream && answer.status() == 200 ? "answered " + type + " instead of a stream"
                    : "answered " + answer.status() + ": " + excerpt(answer.body());
            return new ProbeCheck(name, true, answer.status(), false, List.of(), RepairCounts.NONE,
                    false, false, (stream ? "refused to stream: " : "") + why);
        }
        RepairOptions options = ProbeRepair.options(body, includeUsage);
        ProbeRepair.Result result;
        try {
            result = stream ? ProbeRepair.stream(answer.body(), options) : ProbeRepair.json(answer.body(), options);
        } catch (ShimException e) {
            return new ProbeCheck(name, true, 200, eventStream, List.of(), RepairCounts.NONE, false, false,
                    (stream ? "a stream repair cannot read: " : "no chat completion: ") + e.getMessage());
        }
        List<String> calls = toolCallNames(result.response());
        boolean usage = stream ? streamHasUsage(answer.body()) : result.response().usage() != null;
        StringBuilder detail = new StringBuilder().append(200).append(stream ? " event stream" : " JSON");
        if (tools) {
            detail.append(calls.isEmpty() ? ", no tool call" : ", tool call " + String.join(", ", calls));
            if (stream) {
                detail.append(result.changed() ? " after repair" : ", streamed right (repair changed nothing)");
            }
            detail.append(ProbeReport.describe(result.repairs()));
        } else {
            detail.append(hasText(result.response()) ? ", text" : ", no text");
        }
        if (includeUsage) {
            detail.append(usage ? ", usage present" : ", no usage (the client asked for it)");
        }
        return new ProbeCheck(name, true, 200, stream, calls, result.repairs(), result.changed(), usage, detail.toString());
    }

    private static Mode verdictMode(ProbeCheck json, ProbeCheck stream) {
        if (stream.answered() && stream.streamed() && stream.hasToolCall()) {
            return Mode.AUTO;
        }
        if (json.answered() && json.hasToolCall()) {
            return Mode.SYNTHESIZE;
        }
        return null;
    }

    private String verdictWhy(ProbeCheck models, ProbeCheck json, ProbeCheck stream, ProbeCheck streamUsage) {
        if (!models.answered() && !json.answered() && !silent && !outOfTime) {
            return "cannot reach " + target + ": " + models.detail();
        }
        if (json.status() == 401 || json.status() == 403) {
            return "the server refused the probe's requests (" + json.status() + "): "
                    + (apiKey == null ? "give it an API key with --api-key or " + ProbeCommand.API_KEY_ENV
                            : "check the API key given") + ".";
        }
        if (stream.answered() && stream.streamed() && stream.hasToolCall()) {
            boolean right = !stream.changed() && stream.repairs().isEmpty();
            boolean rightWithUsage = !streamUsage.changed() && streamUsage.repairs().isEmpty();
            if (right && rightWithUsage) {
                return "it streams tool calls natively and right; auto passes its stream on unchanged, mends a defect"
                        + " if one shows up, and falls back to synthesize if it ever refuses to stream.";
            }
            if (right || rightWithUsage) {
                return "it streams tool calls natively; repair changed its stream only " + (right ? "with" : "without")
                        + " include_usage" + ProbeReport.describe(right ? streamUsage.repairs() : stream.repairs())
                        + ". auto passes the rest on unchanged and falls back to synthesize if it ever refuses to stream.";
            }
            return "it streams tool calls, but not as strict clients need them" + ProbeReport.describe(stream.repairs())
                    + "; auto (or repair) mends its stream on the way through."
                    + (json.hasToolCall() ? "" : " Its stream:false answer had no tool call, so synthesize would not do.");
        }
        if (json.answered() && json.hasToolCall()) {
            String streamProblem = stream.answered() && !stream.streamed() ? "it " + stream.detail()
                    : stream.answered() ? "its stream carries no tool call even after repair" : "its stream " + stream.detail();
            return streamProblem + "; its stream:false answer has the tool call, which synthesize turns into a stream.";
        }
        if (silent) {
            return "the server did not answer within request_timeout (" + ConfigKeys.REQUEST_TIMEOUT.print(timeout)
                    + " s); raise it (--request-timeout) if the model is just slow.";
        }
        if (outOfTime) {
            return totalUp() + " before the answers could tell; raise it (--total-timeout) if the model is just slow.";
        }
        return "its answers carry no tool call in any form llamashim can read: check that the model and its chat template"
                + " support tools (llama-server needs --jinja), and that --model names the right model.";
    }

    private byte[] requestBody(boolean tools, boolean stream, boolean includeUsage) {
        StringBuilder body = new StringBuilder("{");
        if (model != null) {
            body.append("\"model\":").append(quote(model)).append(',');
        }
        body.append("\"messages\":[{\"role\":\"user\",\"content\":").append(quote(tools ? ASK_TOOL : ASK_TEXT)).append("}],");
        if (tools) {
            body.append("\"tools\":[").append(TOOL).append("],\"tool_choice\":\"required\",");
        }
        if (includeUsage) {
            body.append("\"stream_options\":{\"include_usage\":true},");
        }
        body.append("\"max_tokens\":256,\"temperature\":0,\"stream\":").append(stream).append('}');
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The answer, or a failure said for a person; never waits longer than {@code request_timeout},
     * nor past the end of the total time.
     */
    private Answer send(HttpRequest.Builder request) {
        Duration left = total.minusNanos(System.nanoTime() - startNanos);
        if (left.compareTo(Duration.ofMillis(1)) < 0) {
            outOfTime = true;
            return Answer.failed("not asked: " + totalUp());
        }
        boolean cutByTotal = left.compareTo(timeout) < 0;
        Duration wait = cutByTotal ? left : timeout;
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request.timeout(wait).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        try {
            HttpResponse<byte[]> response = future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                    response.body(), null);
        } catch (TimeoutException e) {
            future.cancel(true);
            return timedOut(cutByTotal);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof java.net.http.HttpTimeoutException) {
                return timedOut(cutByTotal);
            }
            if (cause instanceof ConnectException) {
                return Answer.failed("cannot connect (" + cause.getClass().getSimpleName() + ")");
            }
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof SSLException) {
                    return Answer.failed("TLS failed: " + t.getMessage() + " (verify_ssl: the path of the CA file that"
                            + " signed the server's certificate, or false to not check it)");
                }
            }
            return Answer.failed("the exchange failed: " + cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            return Answer.failed("interrupted");
        }
    }

    /** A request that got no answer in time: the rest are not asked. */
    private Answer timedOut(boolean cutByTotal) {
        if (cutByTotal) {
            outOfTime = true;
            return Answer.failed("no answer: " + totalUp());
        }
        silent = true;
        return Answer.failed("no answer within request_timeout (" + ConfigKeys.REQUEST_TIMEOUT.print(timeout) + " s)");
    }

    private String totalUp() {
        return "the probe's total time (" + ConfigKeys.REQUEST_TIMEOUT.print(total) + " s) was up";
    }

    /** One HTTP answer, or why there was none. */
    private record Answer(int status, String contentType, byte[] body, String failure) {
        static Answer failed(String failure) {
            return new Answer(0, "", new byte[0], failure);
        }
    }

    private static List<String> toolCallNames(ChatResponse response) {
        List<String> names = new ArrayList<>();
        response.choices().forEach(choice -> {
            for (ToolCall call : choice.message().toolCalls()) {
                names.add(call.name());
            }
        });
        return names;
    }

    private static boolean hasText(ChatResponse response) {
        return response.choices().stream().anyMatch(c -> c.message().content() != null && !c.message().content().isEmpty());
    }

    private static boolean streamHasUsage(byte[] raw) {
        for (SseChunk event : SseParser.parseAll(raw)) {
            if (event instanceof SseChunk.Data data) {
                try {
                    JsonNode usage = JSON.readTree(data.data()).path("usage");
                    if (usage.isObject()) {
                        return true;
                    }
                } catch (IOException e) {
                    // Not JSON: no usage in it.
                }
            }
        }
        return false;
    }

    /** The error's {@code message} when the body is an OpenAI-shaped error, else the body's start. */
    private static String excerpt(byte[] body) {
        try {
            JsonNode message = JSON.readTree(body).path("error").path("message");
            if (message.isTextual()) {
                return message.asText();
            }
        } catch (IOException e) {
            // Not JSON: its text is shown.
        }
        String text = new String(body, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        return text.length() > 160 ? text.substring(0, 160) + "…" : text;
    }

    private static String quote(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new IllegalStateException("a string always serializes", e);
        }
    }
}
