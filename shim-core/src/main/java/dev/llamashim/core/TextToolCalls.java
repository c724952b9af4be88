package dev.llamashim.core;

/** Whether tool calls a model wrote as text, in its family's markup, are turned into real tool calls. */
public enum TextToolCalls {
    /** Declared tool calls found in {@code content} or {@code reasoning_content} become {@code tool_calls}. */
    EXTRACT,
    /** Text stays text. */
    OFF
}
