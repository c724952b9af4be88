package dev.llamashim.jetty.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made by the running JDK's own
 * {@code keytool} (every JDK ships it), as a PKCS12 key store for the server and a PEM file
 * for {@code verify_ssl}.
 *
 * @param keyStore the PKCS12 key store holding key and certificate
 * @param password the key store's password
 * @param pem the certificate alone, PEM-encoded
 */
public record TestCertificate(Path keyStore, String password, Path pem) {

    /** Generates one in {@code dir}. */
    public static TestCertificate generate(Path dir) throws IOException, InterruptedException {
        Path keyStore = dir.resolve("upstream.p12");
        Path pem = dir.resolve("upstream-ca.pem");
        String password = "test-password";
        keytool("-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=llamashim test upstream", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-rfc", "-alias", "upstream", "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                "-storepass", password, "-file", pem.toString());
        return new TestCertificate(keyStore, password, pem);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }
}
