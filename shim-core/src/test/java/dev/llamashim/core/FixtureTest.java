package dev.llamashim.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llamashim.core.testing.Fixture;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class FixtureTest {

    /** Where the team's shared capture tree lies, seen from the module's folder (present on the team's machines and in CI, not in a clone). */
    private static final Path SHARED = Path.of("../../shared/fixtures/llama-server");

    @Test
    void indexListsExactlyTheScenarioFolders() throws IOException, URISyntaxException {
        URL root = Fixture.class.getResource(Fixture.ROOT);
        assertThat(root).isNotNull();
        assumeTrue("file".equals(root.getProtocol()), "fixtures are in a folder, not a jar");
        Path folder = Path.of(root.toURI());
        List<String> onDisk;
        try (Stream<Path> builds = Stream.of(folder.resolve("new"), folder.resolve("old"))) {
            onDisk = builds.flatMap(FixtureTest::list)
                    .filter(Files::isDirectory)
                    .map(p -> folder.relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .collect(Collectors.toList());
        }
        assertThat(Fixture.index()).containsExactlyElementsOf(onDisk);
    }

    @Test
    void copiesAreByteForByteTheSharedCaptures() throws IOException, URISyntaxException {
        assumeTrue(Files.isDirectory(SHARED), "the shared fixture tree is not next to this checkout");
        Path copy = Path.of(Fixture.class.getResource(Fixture.ROOT).toURI());
        List<Path> shared;
        try (Stream<Path> files = Files.walk(SHARED)) {
            shared = files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        assertThat(shared).hasSizeGreaterThan(200);
        for (Path file : shared) {
            Path copied = copy.resolve(SHARED.relativize(file).toString());
            assertThat(copied).as("copy of %s", file).exists();
            assertThat(Files.readAllBytes(copied)).as("copy of %s", file).isEqualTo(Files.readAllBytes(file));
        }
        try (Stream<Path> files = Files.walk(copy)) {
            long copies = files.filter(Files::isRegularFile).count();
            assertThat(copies).as("copied files plus INDEX").isEqualTo(shared.size() + 1);
        }
    }

    @Test
    void loadReadsRequestStatusHeadersAndBody() {
        Fixture fixture = Fixture.load("new", "tool-call-nonstream");

        assertThat(fixture.name()).isEqualTo("new/tool-call-nonstream");
        assertThat(fixture.method()).isEqualTo("POST");
        assertThat(fixture.path()).isEqualTo("/v1/chat/completions");
        assertThat(fixture.requestHeaders()).containsExactly(new Fixture.Header("Content-Type", "application/json"));
        assertThat(fixture.requestBodyText()).startsWith("{").contains("\"get_weather\"");
        assertThat(fixture.status()).isEqualTo(200);
        assertThat(fixture.reason()).isEqualTo("OK");
        assertThat(fixture.headers()).containsExactly(
                new Fixture.Header("Keep-Alive", "timeout=5, max=100"),
                new Fixture.Header("Content-Type", "application/json; charset=utf-8"),
                new Fixture.Header("Server", "llama.cpp"),
                new Fixture.Header("Content-Length", "792"),
                new Fixture.Header("Access-Control-Allow-Origin", ""));
        assertThat(fixture.body()).hasSize(792);
        assertThat(fixture.bodyText()).startsWith("{\"choices\":[{\"finish_reason\":\"tool_calls\"");
        assertThat(fixture.isNonStreamedCompletion()).isTrue();
        assertThat(fixture.isNativeStream()).isFalse();
    }

    @Test
    void getRequestsHaveNoBody() {
        Fixture health = Fixture.load("old", "health");

        assertThat(health.method()).isEqualTo("GET");
        assertThat(health.path()).isEqualTo("/health");
        assertThat(health.requestHeaders()).isEmpty();
        assertThat(health.requestBody()).isNull();
        assertThat(health.bodyText()).isEqualTo("{\"status\":\"ok\"}");
    }

    @Test
    void statusLineKeepsTheReasonPhrase() {
        Fixture refused = Fixture.load("old", "tool-call-stream-refused");

        assertThat(refused.status()).isEqualTo(500);
        assertThat(refused.reason()).isEqualTo("Internal Server Error");
        assertThat(refused.bodyText()).contains("Cannot use tools with stream");
    }

    @Test
    void allLoadsEveryIndexedFixtureAndContentLengthsMatchTheBodies() {
        List<Fixture> all = Fixture.all();

        assertThat(all).hasSize(56);
        assertThat(all).extracting(Fixture::name).containsExactlyElementsOf(Fixture.index());
        for (Fixture fixture : all) {
            fixture.header("Content-Length").ifPresent(length ->
                    assertThat(fixture.body()).as(fixture.name()).hasSize(Integer.parseInt(length)));
            assertThat(fixture.headers()).as(fixture.name()).isNotEmpty();
        }
        assertThat(all).filteredOn(Fixture::isNativeStream).hasSize(15);
    }

    @Test
    void aFixtureCannotBeChangedThroughItsArrays() {
        Fixture fixture = Fixture.load("new", "health");
        fixture.body()[0] = 'X';

        assertThat(fixture.bodyText()).startsWith("{");
        assertThat(fixture).isEqualTo(Fixture.load("new", "health"));
    }

    @Test
    void unknownFixtureIsRejectedWithItsName() {
        assertThatThrownBy(() -> Fixture.load("new", "no-such-scenario"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("new/no-such-scenario");
    }

    private static Stream<Path> list(Path folder) {
        try {
            return Files.list(folder);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
