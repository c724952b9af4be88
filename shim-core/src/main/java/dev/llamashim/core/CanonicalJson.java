package dev.llamashim.core;

/**
 * Recognises UTF-8 JSON text that {@link Json#copyValue} would copy unchanged, so the parser can
 * take such a value's bytes as they are instead of re-writing them token by token. Canonical here
 * means: no whitespace; strings of well-formed UTF-8 whose only escapes are the two-character ones
 * the generator itself writes (a backslash and one of {@code " \\ b t n f r}); integers other than {@code -0};
 * decimals {@link Json#isPlainDecimal plain} enough to print as their own text. Anything else
 * (whitespace, backslash-u escapes, exponents, deep nesting, long numbers, malformed bytes) is
 * "not canonical", and the caller copies the value the slow way, with the parser's own checks and
 * error messages.
 */
final class CanonicalJson {

    /** Deeper values take the slow path, well inside the parser's own nesting limit. */
    private static final int MAX_DEPTH = 64;
    /** Longer numbers take the slow path, well inside the parser's own length limit. */
    private static final int MAX_NUMBER_LENGTH = 64;

    private final byte[] b;
    private final int limit;
    private int i;

    private CanonicalJson(byte[] b, int start, int limit) {
        this.b = b;
        this.i = start;
        this.limit = limit;
    }

    /**
     * Where the canonical value that starts at {@code start} ends (exclusive), or -1 when the bytes
     * from {@code start} (up to {@code limit}) do not begin with a canonical value.
     */
    static int end(byte[] bytes, int start, int limit) {
        CanonicalJson scan = new CanonicalJson(bytes, start, limit);
        return scan.value(0) ? scan.i : -1;
    }

    private boolean value(int depth) {
        if (i >= limit) {
            return false;
        }
        return switch (b[i]) {
            case '{' -> depth < MAX_DEPTH && object(depth + 1);
            case '[' -> depth < MAX_DEPTH && array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        };
    }

    private boolean object(int depth) {
        i++;
        if (i < limit && b[i] == '}') {
            i++;
            return true;
        }
        while (true) {
            if (i >= limit || b[i] != '"' || !string() || i >= limit || b[i++] != ':' || !value(depth)) {
                return false;
            }
            if (i >= limit) {
                return false;
            }
            byte c = b[i++];
            if (c == '}') {
                return true;
            }
            if (c != ',') {
                return false;
            }
        }
    }

    private boolean array(int depth) {
        i++;
        if (i < limit && b[i] == ']') {
            i++;
            return true;
        }
        while (true) {
            if (!value(depth) || i >= limit) {
                return false;
            }
            byte c = b[i++];
            if (c == ']') {
                return true;
            }
            if (c != ',') {
                return false;
            }
        }
    }

    private boolean literal(String word) {
        if (limit - i < word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (b[i + k] != word.charAt(k)) {
                return false;
            }
        }
        i += word.length();
        return true;
    }

    private boolean string() {
        i++;
        while (i < limit) {
            int c = b[i] & 0xFF;
            if (c == '"') {
                i++;
                return true;
            }
            if (c == '\\') {
                if (i + 1 >= limit) {
                    return false;
                }
                switch (b[i + 1]) {
                    case '"', '\\', 'b', 't', 'n', 'f', 'r' -> i += 2;
                    default -> {
                        return false;
                    }
                }
            } else if (c < 0x20) {
                return false;
            } else if (c < 0x80) {
                i++;
            } else if (!utf8()) {
                return false;
            }
        }
        return false;
    }

    /** One well-formed multi-byte UTF-8 sequence (Unicode Table 3-7: no overlongs, no surrogates). */
    private boolean utf8() {
        int c = b[i] & 0xFF;
        int length;
        int low = 0x80;
        int high = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) {
                low = 0xA0;
            } else if (c == 0xED) {
                high = 0x9F;
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) {
                low = 0x90;
            } else if (c == 0xF4) {
                high = 0x8F;
            }
        } else {
            return false;
        }
        if (limit - i < length) {
            return false;
        }
        int second = b[i + 1] & 0xFF;
        if (second < low || second > high) {
            return false;
        }
        for (int k = 2; k < length; k++) {
            if ((b[i + k] & 0xC0) != 0x80) {
                return false;
            }
        }
        i += length;
        return true;
    }

    /** A JSON number that prints as its own text: an integer but {@code -0}, or a plain decimal. */
    private boolean number() {
        int start = i;
        if (b[i] == '-') {
            i++;
        }
        int whole = i;
        if (!digits()) {
            return false;
        }
        if (b[whole] == '0' && i - whole > 1) {
            return false; // a leading zero: not JSON
        }
        boolean zeroWhole = i - whole == 1 && b[whole] == '0';
        int fraction = -1;
        if (i < limit && b[i] == '.') {
            i++;
            fraction = i;
            if (!digits()) {
                return false;
            }
        }
        if (i < limit && (b[i] == 'e' || b[i] == 'E') || i - start > MAX_NUMBER_LENGTH) {
            return false;
        }
        if (fraction < 0) {
            // The generator writes the integer's value: -0 comes out as 0.
            return !(zeroWhole && b[start] == '-');
        }
        // Json.isPlainDecimal on bytes: a whole part that is not 0, or a non-zero fraction with at
        // most five zeros after the point.
        if (!zeroWhole) {
            return true;
        }
        for (int k = fraction; k < i; k++) {
            if (b[k] != '0') {
                return k - fraction <= 5;
            }
        }
        return false;
    }

    private boolean digits() {
        int start = i;
        while (i < limit && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i > start;
    }
}
