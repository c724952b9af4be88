package dev.llamashim.jetty;

/**
 * The {@code --check-config} text: one {@code key: value} line per key, with its source as a
 * comment, so the output is itself a valid {@code config.yaml}.
 */
final class ConfigReport {

    private ConfigReport() {}

    static String text(EffectiveConfig effective) {
        StringBuilder text = new StringBuilder();
        text.append("# llamashim ").append(Version.current()).append(" effective configuration\n");
        text.append("# config file: ").append(effective.configFile().map(Object::toString).orElse("none")).append('\n');
        int width = 0;
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            width = Math.max(width, line(key, effective).length());
        }
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            String line = line(key, effective);
            text.append(line).append(" ".repeat(width - line.length() + 2))
                    .append("# ").append(effective.sourceOf(key)).append('\n');
        }
        return text.toString();
    }

    private static String line(ConfigKey<?> key, EffectiveConfig effective) {
        return key.name() + ": " + key.printValueIn(effective.config());
    }
}
