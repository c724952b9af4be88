package dev.llamashim.jetty;

import java.util.Locale;
import java.util.Optional;

/** Finds the key a mistyped name most likely meant ({@code proxy_prot} → {@code proxy_port}), for error messages. */
final class KeySuggestion {

    /** Further than this many edits, a guess would confuse more than help. */
    private static final int MAX_EDITS = 3;

    private KeySuggestion() {}

    /** The key whose name is at most three edits from {@code name} (case ignored), the closest one. */
    static Optional<ConfigKey<?>> closestTo(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        ConfigKey<?> best = null;
        int bestDistance = MAX_EDITS + 1;
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            int distance = editDistance(wanted, key.name());
            if (distance < bestDistance) {
                best = key;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Levenshtein distance: insertions, deletions and substitutions. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
