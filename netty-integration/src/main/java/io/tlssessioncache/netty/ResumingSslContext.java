package io.tlssessioncache.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.openssl.NativeSslContext;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * A server {@link SslContext} backed by one OpenSSL 3 {@code SSL_CTX}, whose sessions are stored
 * in and resumed from a shared {@link SessionStore} (see {@link ResumingSslContextBuilder}).
 *
 * <p><b>Ownership.</b> This object owns its {@code SSL_CTX}: {@link #close()} frees it (once).
 * Connections still open keep OpenSSL's own reference and finish normally; no new engine can be
 * made after close. If {@code close()} is forgotten, a {@link java.lang.ref.Cleaner} frees the
 * {@code SSL_CTX} once this object is unreachable. The {@link SessionStore} is not owned: closing
 * the context does not close the store.
 *
 * <p>{@link #newHandler(ByteBufAllocator)} gives a standard Netty {@link SslHandler} (a subclass
 * that reports the ALPN protocol, so {@link io.netty.handler.ssl.ApplicationProtocolNegotiationHandler}
 * works) driving an {@link OpenSslServerEngine}.
 */
public final class ResumingSslContext extends SslContext implements AutoCloseable {
    private final NativeSslContext nativeContext;
    private final SessionStore store;
    private final SessionCacheMetrics metrics;
    private final String namespace;
    private final Duration sessionTimeout;
    private final Duration lookupDeadline;
    private final Clock clock;
    private final ApplicationProtocolConfig alpn;
    private final ClientAuth clientAuth;
    private final List<X509Certificate> localCertificates;
    private final List<String> protocols;
    private final SSLSessionContext sessionContext = new MinimalSessionContext();

    ResumingSslContext(NativeSslContext nativeContext, SessionStore store, SessionCacheMetrics metrics, String namespace, Duration sessionTimeout,
                       Duration lookupDeadline, Clock clock, ApplicationProtocolConfig alpn, ClientAuth clientAuth,
                       List<X509Certificate> localCertificates, List<String> protocols) {
        this.nativeContext = nativeContext;
        this.store = store;
        this.metrics = metrics;
        this.namespace = namespace;
        this.sessionTimeout = sessionTimeout;
        this.lookupDeadline = lookupDeadline;
        this.clock = clock;
        this.alpn = alpn;
        this.clientAuth = clientAuth;
        this.localCertificates = List.copyOf(localCertificates);
        this.protocols = protocols;
    }

    /** Hex of the first 16 bytes of the derived session id context: the {@code SessionKey} namespace. */
    public String namespace() {
        return namespace;
    }

    public SessionStore sessionStore() {
        return store;
    }

    /** Where engines report records they could not use. */
    public SessionCacheMetrics metrics() {
        return metrics;
    }

    public Duration lookupDeadline() {
        return lookupDeadline;
    }

    public Duration sessionLifetime() {
        return sessionTimeout;
    }

    public Clock clock() {
        return clock;
    }

    public ClientAuth clientAuth() {
        return clientAuth;
    }

    @Override
    public boolean isClient() {
        return false;
    }

    @Override
    public List<String> cipherSuites() {
        return nativeContext.cipherSuites();
    }

    /** The enabled protocols, "TLSv1.2" / "TLSv1.3". */
    public List<String> protocols() {
        return protocols;
    }

    @Override
    @SuppressWarnings("deprecation")
    public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
        List<String> list = alpn.supportedProtocols();
        return () -> list;
    }

    @Override
    public OpenSslServerEngine newEngine(ByteBufAllocator alloc) {
        return newEngine(alloc, null, -1);
    }

    @Override
    public OpenSslServerEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
        try {
            return new OpenSslServerEngine(this, peerHost, peerPort);
        } catch (SSLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls) {
        return new ResumingSslHandler(newEngine(alloc), startTls);
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls, Executor executor) {
        return new ResumingSslHandler(newEngine(alloc), startTls, executor);
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, String peerHost, int peerPort, boolean startTls) {
        return new ResumingSslHandler(newEngine(alloc, peerHost, peerPort), startTls);
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, String peerHost, int peerPort, boolean startTls,
                                    Executor executor) {
        return new ResumingSslHandler(newEngine(alloc, peerHost, peerPort), startTls, executor);
    }

    @Override
    public SSLSessionContext sessionContext() {
        return sessionContext;
    }

    /** Frees the {@code SSL_CTX} (idempotent). Open connections finish; new engines are refused. */
    @Override
    public void close() {
        nativeContext.close();
    }

    public boolean isClosed() {
        return nativeContext.isClosed();
    }

    NativeSslContext nativeContext() {
        return nativeContext;
    }

    List<X509Certificate> localCertificates() {
        return localCertificates;
    }

    /** ALPN, server preference: our first protocol that the client offered; otherwise per the failure behaviour. */
    String selectApplicationProtocol(List<String> offered) {
        for (String p : alpn.supportedProtocols()) {
            if (offered.contains(p)) {
                return p;
            }
        }
        return switch (alpn.selectorFailureBehavior()) {
            case NO_ADVERTISE -> null;
            case CHOOSE_MY_LAST_PROTOCOL -> null; // RFC 7301 forbids choosing what the client did not offer: go on without ALPN
            case FATAL_ALERT -> throw new IllegalStateException("no common application protocol");
        };
    }

    /**
     * Sessions are not cached inside this context (they live in the {@link SessionStore}), so this
     * context lists nothing; its timeout is the configured session timeout.
     */
    private final class MinimalSessionContext implements SSLSessionContext {
        @Override
        public SSLSession getSession(byte[] sessionId) {
            return null;
        }

        @Override
        public Enumeration<byte[]> getIds() {
            return Collections.emptyEnumeration();
        }

        @Override
        public void setSessionTimeout(int seconds) {
            throw new UnsupportedOperationException("set the timeout with ResumingSslContextBuilder.sessionTimeout");
        }

        @Override
        public int getSessionTimeout() {
            return (int) Math.min(Integer.MAX_VALUE, sessionTimeout.toSeconds());
        }

        @Override
        public void setSessionCacheSize(int size) {
            throw new UnsupportedOperationException("the session cache is the SessionStore");
        }

        @Override
        public int getSessionCacheSize() {
            return 0;
        }
    }
}
