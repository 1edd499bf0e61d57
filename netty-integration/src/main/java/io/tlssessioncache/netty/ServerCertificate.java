package io.tlssessioncache.netty;

import io.tlssessioncache.netty.internal.NativeSslContext;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * One certificate a {@link ResumingSslContext} serves: its own OpenSSL {@code SSL_CTX} (configured
 * like every other of the context but for certificate, key and session id context) and the
 * session namespace derived from it, so a session made under one certificate never resumes under
 * another.
 *
 * @param nativeContext the {@code SSL_CTX}, owned by the {@link ResumingSslContext}
 * @param namespace     the {@code SessionKey} namespace: hex of the first 16 bytes of the session id context
 * @param chain         the certificate chain presented, leaf first
 */
record ServerCertificate(NativeSslContext nativeContext, String namespace, List<X509Certificate> chain) {
    ServerCertificate {
        chain = List.copyOf(chain);
    }

    @Override
    public String toString() {
        return "ServerCertificate[" + chain.getFirst().getSubjectX500Principal() + ", namespace " + namespace + "]";
    }
}
