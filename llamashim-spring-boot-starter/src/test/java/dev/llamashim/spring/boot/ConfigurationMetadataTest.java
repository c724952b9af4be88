package dev.llamashim.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamashim.servlet.ShimSettings;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The metadata an IDE completes {@code llamashim.*} from, as the build wrote it into the jar's
 * {@code META-INF/spring-configuration-metadata.json}.
 */
class ConfigurationMetadataTest {

    private static final Path METADATA = Path.of("target", "classes", "META-INF", "spring-configuration-metadata.json");

    /** ShimSettings components whose property is named after the builder method or init-param instead. */
    private static final Map<String, String> PROPERTY_OF_SETTING = Map.of(
            "chunking", "chunk-size",
            "heartbeat", "heartbeat-seconds");

    @Test
    void listsEveryPropertyWithItsTypeDescriptionAndDefault() throws IOException {
        Map<String, JsonNode> properties = properties();

        assertThat(properties).containsOnlyKeys(
                "llamashim.enabled", "llamashim.mode", "llamashim.chunk-size", "llamashim.simulate-when",
                "llamashim.chat-paths", "llamashim.max-body-bytes", "llamashim.max-response-bytes",
                "llamashim.heartbeat-seconds", "llamashim.text-tool-calls", "llamashim.normalize-non-stream",
                "llamashim.url-patterns", "llamashim.filter-order");
        assertThat(properties.values()).allSatisfy(property -> {
            assertThat(property.path("description").asText()).as(property.path("name").asText()).isNotBlank();
            assertThat(property.has("defaultValue")).as(property.path("name").asText()).isTrue();
        });
        assertThat(properties.get("llamashim.mode").path("type").asText()).isEqualTo("dev.llamashim.servlet.Mode");
        assertThat(properties.get("llamashim.mode").path("defaultValue").asText()).isEqualTo("synthesize");
        assertThat(properties.get("llamashim.chunk-size").path("defaultValue").asInt()).isEqualTo(50);
        assertThat(properties.get("llamashim.chat-paths").path("defaultValue").asText()).isEqualTo(ShimSettings.DEFAULT_CHAT_PATH);
        assertThat(properties.get("llamashim.enabled").path("defaultValue").asBoolean()).isTrue();
        assertThat(properties.get("llamashim.text-tool-calls").path("type").asText()).isEqualTo("dev.llamashim.core.TextToolCalls");
        assertThat(properties.get("llamashim.text-tool-calls").path("defaultValue").asText()).isEqualTo("extract");
        assertThat(properties.get("llamashim.normalize-non-stream").path("defaultValue").asBoolean()).isFalse();
    }

    /** Fails when a filter setting is added to ShimSettings without its llamashim.* property. */
    @Test
    void everyFilterSettingHasAProperty() throws IOException {
        Map<String, JsonNode> properties = properties();

        List<String> expected = Arrays.stream(ShimSettings.class.getRecordComponents())
                .map(RecordComponent::getName)
                .map(name -> "llamashim." + PROPERTY_OF_SETTING.getOrDefault(name, kebab(name)))
                .toList();
        assertThat(properties.keySet()).containsAll(expected);
    }

    private static Map<String, JsonNode> properties() throws IOException {
        assertThat(METADATA).as("written by spring-boot-configuration-processor at compile time").exists();
        JsonNode metadata = new ObjectMapper().readTree(Files.readString(METADATA));
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        metadata.path("properties").forEach(property -> properties.put(property.path("name").asText(), property));
        return properties;
    }

    private static String kebab(String camelCase) {
        return camelCase.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
