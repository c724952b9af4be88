package dev.llamashim.core;

import java.util.Objects;

/** A piece of a text field as {@link TextToolCallExtractor} releases it: text, or a tool call found in it. */
public sealed interface TextPiece {

    /**
     * Text to pass on as it is: a substring of the input, never altered.
     *
     * @param text the characters, never empty
     */
    record Text(String text) implements TextPiece {

        /** Checks that the text is present and not empty. */
        public Text {
            Objects.requireNonNull(text, "text");
            if (text.isEmpty()) {
                throw new IllegalArgumentException("a Text piece is never empty");
            }
        }
    }

    /**
     * A tool call the model wrote as text, in place of the markup it was written in.
     *
     * @param name a function name the request declared
     * @param arguments the call's arguments: the compact JSON text of an object
     * @param format the markup the call was written in
     */
    record Call(String name, String arguments, ToolCallFormat format) implements TextPiece {

        /** Checks that nothing is null. */
        public Call {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(arguments, "arguments");
            Objects.requireNonNull(format, "format");
        }
    }
}
