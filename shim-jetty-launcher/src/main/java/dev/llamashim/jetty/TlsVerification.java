package dev.llamashim.jetty;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the launcher checks the upstream's TLS certificate ({@code verify_ssl}): against the JVM's
 * trusted CAs, not at all, or against the CA certificates of a PEM file.
 *
 * @param mode which of the three
 * @param caBundle the PEM file for {@link Mode#CA_BUNDLE}, {@code null} otherwise
 */
public record TlsVerification(Mode mode, Path caBundle) {

    /** The three {@code verify_ssl} settings. */
    public enum Mode {
        /** {@code verify_ssl: true}: the JVM's default trust store, host names checked. */
        VERIFY,
        /** {@code verify_ssl: false}: any certificate, any host name. */
        TRUST_ALL,
        /** {@code verify_ssl: /path/ca.pem}: only CAs from that file, host names checked. */
        CA_BUNDLE
    }

    /** Checks that a CA bundle is given exactly when the mode needs one. */
    public TlsVerification {
        Objects.requireNonNull(mode, "mode");
        if ((mode == Mode.CA_BUNDLE) != (caBundle != null)) {
            throw new IllegalArgumentException("a CA bundle path goes with Mode.CA_BUNDLE and only with it");
        }
    }

    /** Verify against the JVM's trusted CAs (the default). */
    public static TlsVerification verify() {
        return new TlsVerification(Mode.VERIFY, null);
    }

    /** Trust every certificate. */
    public static TlsVerification trustAll() {
        return new TlsVerification(Mode.TRUST_ALL, null);
    }

    /** Trust the CA certificates in the PEM file {@code caBundle}. */
    public static TlsVerification caBundle(Path caBundle) {
        return new TlsVerification(Mode.CA_BUNDLE, Objects.requireNonNull(caBundle, "caBundle"));
    }

    /** The setting as {@code config.yaml} spells it: {@code true}, {@code false} or the path. */
    @Override
    public String toString() {
        return switch (mode) {
            case VERIFY -> "true";
            case TRUST_ALL -> "false";
            case CA_BUNDLE -> caBundle.toString();
        };
    }
}
