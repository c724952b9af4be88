package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeclaredToolsTest {

    private static DeclaredTools parse(String json) {
        return DeclaredTools.fromRequest(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsToolNamesAndSchemasInOrder() {
        DeclaredTools tools = parse("""
                {"model":"m","tools":[
                  {"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
                  {"type":"function","function":{"name":"get_time"}}]}""");
        assertThat(tools.names()).containsExactly("get_weather", "get_time");
        assertThat(tools.parameters("get_weather")).get()
                .extracting(schema -> schema.path("properties").path("city").path("type").asText())
                .isEqualTo("string");
        assertThat(tools.parameters("get_time")).isEmpty();
        assertThat(tools.declares("get_weatherget_time")).isFalse();
        assertThat(tools.forcedFunction()).isEmpty();
    }

    @Test
    void readsLegacyFunctionsAndFunctionCall() {
        DeclaredTools tools = parse("""
                {"functions":[{"name":"lookup","parameters":{"type":"object"}}],"function_call":{"name":"lookup"}}""");
        assertThat(tools.names()).containsExactly("lookup");
        assertThat(tools.forcedFunction()).contains("lookup");
    }

    @Test
    void aNamedToolChoiceForcesThatFunctionButRequiredDoesNot() {
        assertThat(parse("""
                {"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}""")
                .forcedFunction()).contains("f");
        assertThat(parse("""
                {"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}""")
                .forcedFunction()).isEmpty();
    }

    @Test
    void oddShapesDeclareNothing() {
        assertThat(parse("not json")).isSameAs(DeclaredTools.NONE);
        assertThat(parse("[1,2]")).isSameAs(DeclaredTools.NONE);
        assertThat(parse("{\"tools\":\"x\"}")).isSameAs(DeclaredTools.NONE);
        assertThat(parse("{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}, 3]}")).isSameAs(DeclaredTools.NONE);
        assertThat(parse("{\"tools\":[{\"type\":\"code_interpreter\",\"function\":{\"name\":\"x\"}}]}").isEmpty()).isTrue();
    }
}
