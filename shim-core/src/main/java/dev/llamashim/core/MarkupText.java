package dev.llamashim.core;

/** Character helpers the tool-call markup readers share: whitespace, literal search, name prefixes. */
final class MarkupText {

    private MarkupText() {}

    /** JSON's whitespace, which is also what models put between markup tags. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    }

    /** The first index at or after {@code from} that is not whitespace, or {@code text.length()}. */
    static int skipSpaces(CharSequence text, int from) {
        int i = from;
        while (i < text.length() && isSpace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Whether {@code text} has only whitespace from {@code from} on. */
    static boolean onlySpacesFrom(CharSequence text, int from) {
        return skipSpaces(text, from) == text.length();
    }

    /** Whether {@code literal} stands in {@code text} at {@code at} (whole). */
    static boolean startsWith(CharSequence text, int at, String literal) {
        if (at < 0 || at + literal.length() > text.length()) {
            return false;
        }
        for (int k = 0; k < literal.length(); k++) {
            if (text.charAt(at + k) != literal.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the characters of {@code text} from {@code at} to {@code end} are the first
     * {@code end - at} characters of {@code literal} (a prefix, possibly the whole literal).
     */
    static boolean prefixOf(CharSequence text, int at, int end, String literal) {
        int n = end - at;
        if (n > literal.length()) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (text.charAt(at + k) != literal.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** The first index of {@code literal} in {@code text} starting at or after {@code from} and ending by {@code limit}; -1 if none. */
    static int indexOf(CharSequence text, String literal, int from, int limit) {
        char first = literal.charAt(0);
        for (int i = Math.max(from, 0), last = limit - literal.length(); i <= last; i++) {
            if (text.charAt(i) == first && startsWith(text, i, literal)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether some declared function name begins with {@code text[from, to)}. */
    static boolean beginsDeclaredName(DeclaredTools tools, CharSequence text, int from, int to) {
        for (String name : tools.names()) {
            if (prefixOf(text, from, to, name)) {
                return true;
            }
        }
        return false;
    }
}
