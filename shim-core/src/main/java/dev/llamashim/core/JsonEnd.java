package dev.llamashim.core;

/**
 * Finds where a JSON object or array ends, one character at a time, so that a value arriving in
 * many pieces is read once: it counts brackets outside strings and skips escaped characters. It
 * does not check that the text is JSON; the parser does that once the value has ended.
 */
final class JsonEnd {

    private int depth;
    private boolean inString;
    private boolean escaped;

    /**
     * Takes the next character; the first one must be {@code {} or {@code [}. Returns true when
     * this character closed the value that the first one opened.
     */
    boolean accept(char c) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            return false;
        }
        switch (c) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> {
                depth--;
                return depth == 0;
            }
            default -> { }
        }
        return false;
    }
}
