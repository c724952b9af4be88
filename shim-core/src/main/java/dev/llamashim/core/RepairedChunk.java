package dev.llamashim.core;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One chunk {@link StreamRepairer} is to write: its tree, and the upstream's JSON text of it while
 * that text is still right (then the chunk goes out byte for byte).
 */
final class RepairedChunk {

    final ObjectNode node;
    final String original;
    /** Whether the tree differs from {@link #original}; always true without one. */
    boolean dirty;

    RepairedChunk(ObjectNode node, String original, boolean dirty) {
        this.node = node;
        this.original = original;
        this.dirty = dirty || original == null;
    }

    /** A chunk of the repairer's own making. */
    static RepairedChunk made(ObjectNode node) {
        return new RepairedChunk(node, null, true);
    }

    /** The first choice entry of the chunk. */
    ObjectNode entry() {
        return (ObjectNode) node.get("choices").get(0);
    }

    /** The delta of the first choice entry. */
    ObjectNode delta() {
        return (ObjectNode) entry().get("delta");
    }
}
