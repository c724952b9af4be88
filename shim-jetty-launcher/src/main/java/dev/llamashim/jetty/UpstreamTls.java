package dev.llamashim.jetty;

import java.io.IOException;
import java.security.GeneralSecurityException;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** Builds the TLS side of the connection to the upstream from {@code verify_ssl}. */
final class UpstreamTls {

    private UpstreamTls() {}

    /**
     * A client TLS factory that verifies as {@code verification} says. Host names are checked
     * whenever certificates are, so a CA bundle does not make every certificate it signed valid for every host.
     *
     * @throws LauncherException (exit code 1) when the CA bundle cannot be read any more
     */
    static SslContextFactory.Client clientFactory(TlsVerification verification) {
        return switch (verification.mode()) {
            case VERIFY -> new SslContextFactory.Client();
            case TRUST_ALL -> {
                SslContextFactory.Client factory = new SslContextFactory.Client(true);
                factory.setEndpointIdentificationAlgorithm(null);
                yield factory;
            }
            case CA_BUNDLE -> {
                SslContextFactory.Client factory = new SslContextFactory.Client();
                try {
                    factory.setTrustStore(PemTrustStore.load(verification.caBundle()));
                } catch (IOException | GeneralSecurityException e) {
                    throw LauncherException.start("cannot read the CA bundle " + verification.caBundle()
                            + " (verify_ssl): " + e.getMessage(), e);
                }
                yield factory;
            }
        };
    }
}
