package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamashim.core.testing.Fixture;
import dev.llamashim.jetty.testing.LogCapture;
import dev.llamashim.jetty.testing.TestCertificate;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.Http;
import dev.llamashim.servlet.testing.Reply;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code verify_ssl} three ways, against an HTTPS upstream with a self-signed certificate made for the test. */
class UpstreamTlsTest {

    @TempDir
    static Path dir;

    private static TestCertificate certificate;
    private static FakeLlamaServer upstream;

    @BeforeAll
    static void startHttpsUpstream() throws Exception {
        certificate = TestCertificate.generate(dir);
        upstream = FakeLlamaServer.startTls(certificate.keyStore(), certificate.password());
        upstream.route("GET", "/v1/models", Reply.of(Fixture.load("new", "models")));
    }

    @AfterAll
    static void stopUpstream() throws Exception {
        upstream.close();
    }

    @Test
    void verifySslTrueRejectsACertificateTheJvmDoesNotTrust() throws Exception {
        try (LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(TlsVerification.verify())) {
            HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("\"type\":\"upstream_error\"");
            assertThat(log.text()).contains("SSLHandshakeException");
        }
    }

    @Test
    void verifySslFalseTrustsAnyCertificateAndWarnsOnceAtStart() throws Exception {
        try (LogCapture log = LogCapture.start();
                RunningLauncher launcher = start(TlsVerification.trustAll())) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).isEqualTo(Fixture.load("new", "models").bodyText());
            }
            assertThat(log.lines()).filteredOn(line -> line.startsWith("WARN")).singleElement()
                    .satisfies(line -> assertThat(line).contains("verify_ssl is false"));
        }
    }

    @Test
    void verifySslWithACaBundlePathTrustsCertificatesItsCasSigned() throws Exception {
        Path config = Files.writeString(dir.resolve("config.yaml"),
                "proxy_port: 0\ntarget_url: " + upstream.baseUri() + "\nverify_ssl: " + certificate.pem().getFileName() + "\n");
        LauncherConfig loaded = ConfigLoader.load(new String[] {"--config", config.toString()}, Map.of(), dir).config();

        try (RunningLauncher launcher = Launcher.start(loaded)) {
            HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(Fixture.load("new", "models").bodyText());
        }
    }

    @Test
    void verifySslWithAnotherCasBundleRejectsTheCertificate() throws Exception {
        Path otherDir = Files.createDirectories(dir.resolve("other"));
        TestCertificate other = TestCertificate.generate(otherDir);

        try (RunningLauncher launcher = start(TlsVerification.caBundle(other.pem()))) {
            HttpResponse<String> response = Http.getText(launcher.uri().resolve("/v1/models"));

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("\"code\":\"upstream_error\"");
        }
    }

    private static RunningLauncher start(TlsVerification verification) {
        return Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri()).verifySsl(verification).build());
    }
}
