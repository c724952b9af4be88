package dev.llamashim.jetty;

import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One setting of the launcher: its {@code config.yaml} name, the environment variable and flag
 * that override it, its default, and how a raw value is read and checked. All of them are in
 * {@link ConfigKeys}.
 *
 * @param <T> the type of the setting's value
 */
public final class ConfigKey<T> {

    private final String name;
    private final String expected;
    private final T defaultValue;
    private final Function<RawValue, T> reader;
    private final Predicate<T> valid;
    private final Function<LauncherConfig, T> accessor;
    private final BiConsumer<LauncherConfig.Builder, T> setter;
    private final Function<T, String> printer;

    ConfigKey(String name, String expected, T defaultValue, Function<RawValue, T> reader, Predicate<T> valid,
            Function<LauncherConfig, T> accessor, BiConsumer<LauncherConfig.Builder, T> setter,
            Function<T, String> printer) {
        this.name = Objects.requireNonNull(name, "name");
        this.expected = Objects.requireNonNull(expected, "expected");
        this.defaultValue = Objects.requireNonNull(defaultValue, "defaultValue");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.valid = Objects.requireNonNull(valid, "valid");
        this.accessor = Objects.requireNonNull(accessor, "accessor");
        this.setter = Objects.requireNonNull(setter, "setter");
        this.printer = Objects.requireNonNull(printer, "printer");
    }

    /** The key as {@code config.yaml} spells it, e.g. {@code proxy_port}. */
    public String name() {
        return name;
    }

    /** The environment variable that overrides the file, e.g. {@code LLAMASHIM_PROXY_PORT}. */
    public String envName() {
        return "LLAMASHIM_" + name.toUpperCase(Locale.ROOT);
    }

    /** The flag that overrides everything, e.g. {@code --proxy-port}. */
    public String flag() {
        return "--" + name.replace('_', '-');
    }

    /** What a valid value looks like, for messages and {@code --help}. */
    public String expected() {
        return expected;
    }

    /** The built-in default. */
    public T defaultValue() {
        return defaultValue;
    }

    /** This key's value in {@code config}. */
    public T valueIn(LauncherConfig config) {
        return accessor.apply(config);
    }

    /** {@code value} as it would be written in {@code config.yaml}. */
    public String print(T value) {
        return printer.apply(value);
    }

    /** This key's value in {@code config}, as it would be written in {@code config.yaml}. */
    public String printValueIn(LauncherConfig config) {
        return print(valueIn(config));
    }

    /** Sets this key to {@code value} in {@code builder}. */
    void applyTo(LauncherConfig.Builder builder, T value) {
        setter.accept(builder, value);
    }

    /** Reads {@code raw} and sets this key to it in {@code builder}; see {@link #read}. */
    void readInto(LauncherConfig.Builder builder, RawValue raw) {
        applyTo(builder, read(raw));
    }

    /**
     * Reads and checks a raw value.
     *
     * @throws LauncherException naming this key, the value's source and what was expected
     */
    T read(RawValue raw) {
        T value;
        try {
            value = reader.apply(raw);
        } catch (IllegalArgumentException e) {
            throw invalid(raw.source(), e.getMessage());
        }
        if (!valid.test(value)) {
            throw invalid(raw.source(), "got " + raw.describe());
        }
        return value;
    }

    /** Checks a value given programmatically; throws {@link LauncherException} naming this key. */
    T check(T value) {
        Objects.requireNonNull(value, name);
        if (!valid.test(value)) {
            throw LauncherException.config(name + ": expected " + expected + ", got " + print(value));
        }
        return value;
    }

    private LauncherException invalid(ConfigSource source, String problem) {
        return LauncherException.config(name + " from " + source + ": expected " + expected + ", " + problem);
    }

    @Override
    public String toString() {
        return name;
    }
}
