package dev.llamashim.core;

import java.util.concurrent.ThreadLocalRandom;

/** Random ids for what a response left out ({@code call_…}, {@code chatcmpl-…}). */
final class Ids {

    private static final char[] ALPHANUMERICS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private Ids() {}

    /** {@code length} random letters and digits; unique enough for ids, not for secrets. */
    static String alphanumeric(int length) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[length];
        for (int i = 0; i < length; i++) {
            id[i] = ALPHANUMERICS[random.nextInt(ALPHANUMERICS.length)];
        }
        return new String(id);
    }
}
