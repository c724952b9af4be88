package dev.llamashim.core;

/**
 * A model family's markup for tool calls written as text, as {@link TextToolCallExtractor}
 * recognises it. Each constant names the model server parsers its reading follows.
 */
public enum ToolCallFormat {
    /** Hermes, Qwen 2.5, Qwen 3: {@code <tool_call>{"name": …, "arguments": {…}}</tool_call>}. */
    HERMES("hermes"),
    /** Qwen3-Coder: {@code <tool_call><function=NAME><parameter=KEY>VALUE</parameter>…</function></tool_call>}. */
    QWEN3_CODER("qwen3_coder"),
    /** GLM-4.5 / 4.6: {@code <tool_call>NAME<arg_key>KEY</arg_key><arg_value>VALUE</arg_value>…</tool_call>}. */
    GLM("glm"),
    /**
     * Mistral: {@code [TOOL_CALLS][{"name": …, "arguments": {…}}, …]} (before tokenizer v11),
     * {@code [TOOL_CALLS]NAME{…}} (v11) and {@code [TOOL_CALLS]NAME[ARGS]{…}} (Magistral, Devstral 2).
     */
    MISTRAL("mistral"),
    /** Llama 3.x: {@code <|python_tag|>{"name": …, "parameters": {…}}}, or such an object opening the text. */
    LLAMA3("llama3"),
    /** Kimi K2: {@code <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:N<|tool_call_argument_begin|>{…}<|tool_call_end|>…}. */
    KIMI_K2("kimi_k2"),
    /** DeepSeek V3.1: {@code <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜>…}. */
    DEEPSEEK_V31("deepseek_v31");

    private final String label;

    ToolCallFormat(String label) {
        this.label = label;
    }

    /** A short lower-case name for logs and metrics, e.g. {@code hermes}. */
    public String label() {
        return label;
    }
}
