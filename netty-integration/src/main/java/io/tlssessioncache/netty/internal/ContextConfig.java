package io.tlssessioncache.netty.internal;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything an {@code SSL_CTX} is made from (already translated to OpenSSL's terms).
 *
 * @param certChainPem      the server's certificate chain, leaf first (PEM text)
 * @param keyPem            its private key (PEM text, unencrypted)
 * @param timeoutSeconds    session lifetime ({@code SSL_CTX_set_timeout})
 * @param ticketsPerHandshake TLS 1.3 tickets after a full handshake ({@code SSL_CTX_set_num_tickets})
 * @param minVersion        0x0303 or 0x0304
 * @param maxVersion        0x0303 or 0x0304
 * @param cipherList        TLS 1.2 ciphers in OpenSSL's syntax, or null for OpenSSL's default
 * @param cipherSuites      TLS 1.3 suites, colon-separated, or null for OpenSSL's default
 * @param groups            key exchange groups, colon-separated, or null for OpenSSL's default
 * @param verifyMode        {@link #VERIFY_NONE}, {@link #VERIFY_OPTIONAL} or {@link #VERIFY_REQUIRE}
 * @param trustPem          PEM file of roots for client certificates, or null
 * @param sessionIdContext  1 to 32 bytes: sessions never resume under another context
 * @param alpn              whether to install the ALPN select callback
 */
public record ContextConfig(String certChainPem, String keyPem, long timeoutSeconds, int ticketsPerHandshake,
                            int minVersion, int maxVersion, String cipherList, String cipherSuites, String groups,
                            int verifyMode, Path trustPem, byte[] sessionIdContext, boolean alpn) {
    public static final int VERIFY_NONE = 0;
    public static final int VERIFY_OPTIONAL = 1;
    public static final int VERIFY_REQUIRE = 2;

    public ContextConfig {
        Objects.requireNonNull(certChainPem, "certChainPem");
        Objects.requireNonNull(keyPem, "keyPem");
        Objects.requireNonNull(sessionIdContext, "sessionIdContext");
        if (sessionIdContext.length < 1 || sessionIdContext.length > 32) {
            throw new IllegalArgumentException("session id context is 1 to 32 bytes");
        }
        sessionIdContext = sessionIdContext.clone();
    }

    @Override
    public String toString() {
        return "ContextConfig[versions 0x" + Integer.toHexString(minVersion) + "-0x" + Integer.toHexString(maxVersion)
                + ", verify=" + verifyMode + ", alpn=" + alpn + "]"; // never the key
    }
}
