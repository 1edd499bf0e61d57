package io.tlssessioncache.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkAlpnApplicationProtocolNegotiator;
import io.netty.handler.ssl.JdkApplicationProtocolNegotiator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Mapping;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ImmediateExecutor;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;

import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * A server {@link SslContext} backed by OpenSSL 3, whose sessions are stored in and resumed from a
 * shared {@link SessionStore} (see {@link ResumingSslContextBuilder}). It is a drop-in context: hand
 * it to anything that takes an {@code SslContext} (Netty's {@code ch.pipeline().addLast(ctx.newHandler(alloc))},
 * gRPC-Java, Reactor Netty, Vert.x) and its engines look sessions up themselves when the
 * ClientHello arrives, without blocking the event loop.
 *
 * <p><b>Executors.</b> The engine waits for the store in an {@code SSLEngine} delegated task. The
 * handlers this context makes, when the caller gives no executor or Netty's {@code ImmediateExecutor},
 * run that task only once the store has answered (or the deadline passed), on the thread that
 * completed the answer: no thread waits, and none is started (unless
 * {@link ResumingSslContextBuilder#delegatedTaskExecutor} names an executor). The caller's
 * executor otherwise. A task that ends
 * up on the event loop anyway (a plain {@code new SslHandler(ctx.newEngine(alloc))}, or the event
 * loop given as executor) never waits: it resumes from answers already there (embedded store,
 * near-cache hits), and counts the rest as {@code notAwaited}.
 *
 * <p><b>Certificates.</b> One default certificate, and optionally more chosen by the client's SNI
 * name ({@link ResumingSslContextBuilder#sniCertificate}); each has its own session namespace.
 *
 * <p><b>ALPN.</b> {@link #newHandler} gives Netty's {@code SslHandler} (a subclass that reports the
 * negotiated protocol). {@link #newEngine} gives, when ALPN is configured, our engine wrapped by
 * Netty's public JDK ALPN wrapper, so that a plain {@code SslHandler} built around it (as gRPC does)
 * reports the protocol too.
 *
 * <p><b>Ownership.</b> This object owns its {@code SSL_CTX}s: {@link #close()} frees them (once).
 * Connections still open keep OpenSSL's own references and finish normally; no new engine can be
 * made after close. If {@code close()} is forgotten, a {@link java.lang.ref.Cleaner} frees them once
 * this object is unreachable. The {@link SessionStore} is not owned.
 */
public final class ResumingSslContext extends SslContext implements AutoCloseable {
    /** One timer for every engine's handshake timeout: a 100 ms wheel on one daemon thread. */
    private static final HashedWheelTimer HANDSHAKE_TIMER = new HashedWheelTimer(
            new DefaultThreadFactory("tls-handshake-timeout", true), 100, TimeUnit.MILLISECONDS);

    private final ServerCertificate defaultCertificate;
    private final Mapping<String, ServerCertificate> certificatesByName; // null: the default only
    private final List<ServerCertificate> certificates;
    private final SessionStore store;
    private final SessionCacheMetrics metrics;
    private final Duration sessionTimeout;
    private final Duration lookupDeadline;
    private final Duration handshakeTimeout;
    private final Executor delegatedTaskExecutor; // null: run each task when the store answers (the default)
    private final Clock clock;
    private final ApplicationProtocolConfig alpn;
    @SuppressWarnings("deprecation")
    private final JdkApplicationProtocolNegotiator alpnWrapper; // null: no ALPN
    private final ClientAuth clientAuth;
    private final List<String> protocols;
    private final SSLSessionContext sessionContext = new MinimalSessionContext();

    @SuppressWarnings("deprecation")
    ResumingSslContext(ServerCertificate defaultCertificate, Mapping<String, ServerCertificate> certificatesByName,
                       List<ServerCertificate> certificates, SessionStore store, SessionCacheMetrics metrics,
                       Duration sessionTimeout, Duration lookupDeadline, Duration handshakeTimeout,
                       Executor delegatedTaskExecutor, Clock clock, ApplicationProtocolConfig alpn,
                       ClientAuth clientAuth, List<String> protocols) {
        this.defaultCertificate = defaultCertificate;
        this.certificatesByName = certificatesByName;
        this.certificates = List.copyOf(certificates);
        this.store = store;
        this.metrics = metrics;
        this.sessionTimeout = sessionTimeout;
        this.lookupDeadline = lookupDeadline;
        this.handshakeTimeout = handshakeTimeout;
        this.delegatedTaskExecutor = delegatedTaskExecutor;
        this.clock = clock;
        this.alpn = alpn;
        this.clientAuth = clientAuth;
        this.protocols = List.copyOf(protocols);
        boolean alpnOn = alpn.protocol() != ApplicationProtocolConfig.Protocol.NONE;
        // JDK semantics of the wrapper's selector: server preference, and per the failure behaviour
        // either no ALPN (NO_ADVERTISE; CHOOSE_MY_LAST_PROTOCOL, as RFC 7301 forbids choosing a
        // protocol the client did not offer) or a no_application_protocol alert (FATAL_ALERT).
        this.alpnWrapper = alpnOn ? new JdkAlpnApplicationProtocolNegotiator(
                alpn.selectorFailureBehavior() == ApplicationProtocolConfig.SelectorFailureBehavior.FATAL_ALERT,
                alpn.supportedProtocols()) : null;
    }

    /**
     * Whether the connection of {@code session} resumed a stored session; empty if the session is
     * not one of this library's (or its handshake has not finished).
     */
    public static Optional<Boolean> resumed(SSLSession session) {
        if (session instanceof OpenSslSession s && s.isValid()) {
            return Optional.of(s.engine().isSessionReused());
        }
        return Optional.empty();
    }

    @Override
    public boolean isClient() {
        return false;
    }

    @Override
    public List<String> cipherSuites() {
        return defaultCertificate.nativeContext().cipherSuites();
    }

    @Override
    @SuppressWarnings("deprecation")
    public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
        if (alpnWrapper != null) {
            return alpnWrapper;
        }
        return List::of;
    }

    /**
     * An engine for a caller that builds its own {@code SslHandler}. With ALPN configured it is
     * wrapped by Netty's JDK ALPN wrapper, which {@code SslHandler.applicationProtocol()} understands.
     */
    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc) {
        return newEngine(alloc, null, -1);
    }

    @Override
    @SuppressWarnings("deprecation")
    public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
        OpenSslServerEngine engine = newOpenSslEngine(peerHost, peerPort);
        if (alpnWrapper == null) {
            return engine;
        }
        try {
            return alpnWrapper.wrapperFactory().wrapSslEngine(engine, alpnWrapper, true);
        } catch (RuntimeException e) {
            engine.release();
            throw e;
        }
    }

    OpenSslServerEngine newOpenSslEngine(String peerHost, int peerPort) {
        try {
            return new OpenSslServerEngine(this, peerHost, peerPort);
        } catch (SSLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls) {
        return handler(newOpenSslEngine(null, -1), startTls, null);
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls, Executor executor) {
        return handler(newOpenSslEngine(null, -1), startTls, executor);
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, String peerHost, int peerPort, boolean startTls) {
        return handler(newOpenSslEngine(peerHost, peerPort), startTls, null);
    }

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, String peerHost, int peerPort, boolean startTls,
                                    Executor executor) {
        return handler(newOpenSslEngine(peerHost, peerPort), startTls, executor);
    }

    /**
     * Netty's {@code ImmediateExecutor} (or none) would run our tasks on the event loop, where they
     * could only give up on a lookup still in flight; our tasks only ever wait for the store, so they
     * run when the store answers instead (or on {@link ResumingSslContextBuilder#delegatedTaskExecutor}).
     * Any other executor is the caller's choice and is used as given.
     */
    private SslHandler handler(OpenSslServerEngine engine, boolean startTls, Executor given) {
        Executor executor = given != null && given != ImmediateExecutor.INSTANCE ? given
                : delegatedTaskExecutor != null ? delegatedTaskExecutor : engine.storeAnswerExecutor();
        return new ResumingSslHandler(engine, startTls, executor);
    }

    @Override
    public SSLSessionContext sessionContext() {
        return sessionContext;
    }

    /** Frees the {@code SSL_CTX}s (idempotent). Open connections finish; new engines are refused. */
    @Override
    public void close() {
        for (ServerCertificate c : certificates) {
            c.nativeContext().close();
        }
    }

    // ---- for the engine, the lookup and the handler (package-private: not API) ----

    /** The certificate for a client's SNI name ({@code null}: none sent); the default when none matches. */
    ServerCertificate certificateFor(String serverName) {
        if (certificatesByName == null || serverName == null) {
            return defaultCertificate;
        }
        ServerCertificate c = certificatesByName.map(serverName);
        return c == null ? defaultCertificate : c;
    }

    ServerCertificate defaultCertificate() {
        return defaultCertificate;
    }

    /** The default certificate's session namespace (hex of the first 16 bytes of its session id context). */
    String namespace() {
        return defaultCertificate.namespace();
    }

    SessionStore sessionStore() {
        return store;
    }

    /** Where engines and lookups report what the stores cannot see. */
    SessionCacheMetrics metrics() {
        return metrics;
    }

    Duration lookupDeadline() {
        return lookupDeadline;
    }

    Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    Duration sessionLifetime() {
        return sessionTimeout;
    }

    Clock clock() {
        return clock;
    }

    ClientAuth clientAuth() {
        return clientAuth;
    }

    /** The enabled protocols, "TLSv1.2" / "TLSv1.3". */
    List<String> protocols() {
        return protocols;
    }

    /** Starts {@code engine}'s handshake timeout; cancel it once the handshake finished. */
    Timeout scheduleHandshakeTimeout(OpenSslServerEngine engine) {
        if (handshakeTimeout.isZero()) {
            return NO_TIMEOUT;
        }
        // Weakly: a dropped engine is still collected, and its Cleaner frees it, before the timeout.
        java.lang.ref.WeakReference<OpenSslServerEngine> ref = new java.lang.ref.WeakReference<>(engine);
        return HANDSHAKE_TIMER.newTimeout(t -> {
            OpenSslServerEngine e = ref.get();
            if (e != null) {
                e.handshakeTimedOut();
            }
        }, handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
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

    private static final Timeout NO_TIMEOUT = new Timeout() {
        @Override
        public io.netty.util.Timer timer() {
            return HANDSHAKE_TIMER;
        }

        @Override
        public io.netty.util.TimerTask task() {
            return t -> { };
        }

        @Override
        public boolean isExpired() {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return true;
        }

        @Override
        public boolean cancel() {
            return false;
        }
    };

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
