package dev.llamashim.jetty;

import dev.llamashim.servlet.RepairCounts;
import java.util.List;

/**
 * What the model server did with one of the probe's requests.
 *
 * @param name what was asked, e.g. {@code tools, stream:true}
 * @param answered whether an HTTP answer arrived within {@code request_timeout}
 * @param status its HTTP status, or 0 when none arrived
 * @param streamed whether the answer was a {@code 200 text/event-stream}
 * @param toolCalls names of the tool calls the answer carries after repair
 * @param repairs what the repair mended and extracted to get there
 * @param changed whether the repair changed the answer at all
 * @param usage whether the answer carried {@code usage}
 * @param detail one line for a person: what went wrong, or what came
 */
record ProbeCheck(String name, boolean answered, int status, boolean streamed, List<String> toolCalls,
        RepairCounts repairs, boolean changed, boolean usage, String detail) {

    /** Copies the list. */
    ProbeCheck {
        toolCalls = List.copyOf(toolCalls);
    }

    /** A request that got no HTTP answer. */
    static ProbeCheck unanswered(String name, String detail) {
        return new ProbeCheck(name, false, 0, false, List.of(), RepairCounts.NONE, false, false, detail);
    }

    /** Whether the answer carries at least one tool call after repair. */
    boolean hasToolCall() {
        return !toolCalls.isEmpty();
    }
}
