package dev.llamashim.servlet;

import java.util.Locale;

/** The kind of path a request went to: a chat completions path (see {@code chat-paths}) or any other. */
public enum PathClass {
    /** A path that ends with one of the {@code chat-paths}. */
    CHAT,
    /** Any other path ({@code /v1/models}, {@code /v1/embeddings}, …). */
    OTHER;

    /** The class as logs and metrics spell it: {@code chat} or {@code other}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
