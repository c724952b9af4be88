package dev.llamashim.jetty;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Builds the TLS side of the connection to the upstream from {@code verify_ssl}: for the proxy's
 * Jetty client, and for the JDK client of {@code probe}.
 */
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

    /**
     * The same verification as {@link #clientFactory} for the JDK's {@code HttpClient} (which checks
     * host names itself unless trust is off).
     *
     * @throws LauncherException (exit code 1) when the CA bundle cannot be read
     */
    static SSLContext sslContext(TlsVerification verification) {
        try {
            return switch (verification.mode()) {
                case VERIFY -> SSLContext.getDefault();
                case TRUST_ALL -> context(new TrustManager[] {new TrustingAll()});
                case CA_BUNDLE -> {
                    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    try {
                        trust.init(PemTrustStore.load(verification.caBundle()));
                    } catch (IOException | GeneralSecurityException e) {
                        throw LauncherException.start("cannot read the CA bundle " + verification.caBundle()
                                + " (verify_ssl): " + e.getMessage(), e);
                    }
                    yield context(trust.getTrustManagers());
                }
            };
        } catch (GeneralSecurityException e) {
            throw LauncherException.start("the JVM offers no TLS context: " + e.getMessage(), e);
        }
    }

    private static SSLContext context(TrustManager[] trust) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust, null);
        return context;
    }

    /**
     * {@code verify_ssl: false}: any certificate for any host. An extended trust manager, so that the
     * JDK does not check the host name on top of it (it does so for a plain {@code X509TrustManager}).
     */
    private static final class TrustingAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
