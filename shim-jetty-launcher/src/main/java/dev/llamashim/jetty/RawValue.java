package dev.llamashim.jetty;

import java.nio.file.Path;
import java.util.List;

/**
 * A setting's value as a source gave it, before it is checked: the text of an environment
 * variable or flag, or a YAML node with the shape its tag gave it.
 *
 * @param shape what kind of value it is
 * @param text the scalar's text ({@code ""} for lists, mappings and nulls)
 * @param items a list's scalar items (empty otherwise)
 * @param source where it came from
 * @param baseDir the directory relative paths in it are resolved against
 */
record RawValue(Shape shape, String text, List<String> items, ConfigSource source, Path baseDir) {

    /** How the source typed the value. Environment variables and flags are always {@link #TEXT}. */
    enum Shape {
        TEXT, NUMBER, BOOLEAN, NULL, LIST, MAPPING
    }

    RawValue {
        items = List.copyOf(items);
    }

    /** A value given as plain text (an environment variable or a flag). */
    static RawValue text(String text, ConfigSource source, Path baseDir) {
        return new RawValue(Shape.TEXT, text, List.of(), source, baseDir);
    }

    /** The value as an error message shows it after "got". */
    String describe() {
        return switch (shape) {
            case TEXT -> "\"" + text + "\"";
            case NUMBER, BOOLEAN -> text;
            case NULL -> "no value";
            case LIST -> "a list";
            case MAPPING -> "a mapping";
        };
    }

    /** The scalar text, or an {@link IllegalArgumentException} saying a single value was expected. */
    String scalar() {
        return switch (shape) {
            case TEXT, NUMBER, BOOLEAN -> text;
            case NULL, LIST, MAPPING -> throw new IllegalArgumentException("got " + describe());
        };
    }

    /** An {@link IllegalArgumentException} for a value of the right shape but the wrong content. */
    IllegalArgumentException wrong() {
        return new IllegalArgumentException("got " + describe());
    }
}
