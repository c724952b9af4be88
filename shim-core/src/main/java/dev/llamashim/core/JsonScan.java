package dev.llamashim.core;

/**
 * Follows JSON text fed in pieces just far enough to tell whether it is one object or array,
 * possibly surrounded by whitespace, and whether that value is closed. It counts brackets outside
 * strings and does not validate more. Not thread-safe.
 */
final class JsonScan {

    private int depth;
    private boolean inString;
    private boolean escape;
    private boolean started;
    private boolean closed;
    private boolean invalid;
    /** The first string of the text (a rendering's first key), null until it is closed. */
    private StringBuilder firstString;
    private String firstStringDone;
    private int strings;

    /** Takes the next piece of text. */
    void feed(CharSequence text) {
        for (int i = 0; i < text.length() && !invalid; i++) {
            char c = text.charAt(i);
            if (inString) {
                boolean first = strings == 1 && firstStringDone == null;
                if (escape) {
                    escape = false;
                    append(first, c);
                } else if (c == '\\') {
                    escape = true;
                } else if (c == '"') {
                    inString = false;
                    if (first) {
                        firstStringDone = firstString.toString();
                    }
                } else {
                    append(first, c);
                }
            } else if (closed) {
                invalid = !Character.isWhitespace(c);
            } else if (c == '"') {
                if (!started) {
                    invalid = true;
                } else {
                    inString = true;
                    strings++;
                    if (strings == 1) {
                        firstString = new StringBuilder();
                    }
                }
            } else if (c == '{' || c == '[') {
                started = true;
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                invalid = depth < 0;
                closed = depth == 0;
            } else if (!started && !Character.isWhitespace(c)) {
                invalid = true;
            }
        }
    }

    private void append(boolean first, char c) {
        if (first && firstString.length() < 64) {
            firstString.append(c);
        }
    }

    /** Whether the text so far is, or begins, one object or array (after optional whitespace). */
    boolean invalid() {
        return invalid;
    }

    /** Whether the object or array has been closed (and nothing but whitespace follows). */
    boolean closed() {
        return closed && !invalid;
    }

    /** The text's first string once it is closed (a rendering's first key), else null. */
    String firstString() {
        return firstStringDone;
    }
}
