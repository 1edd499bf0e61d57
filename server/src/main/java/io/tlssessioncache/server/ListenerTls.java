package io.tlssessioncache.server;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.TimeUnit;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.netty.ResumingSslContextBuilder;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/**
 * The TLS side of one listener: its own {@link ResumingSslContext} (every listener is an
 * independent server instance; they share only the session store). Not final only for the
 * benchmarks' {@code TcnativeServe}, which runs the same server on Netty's tcnative engine
 * through {@link ServerNode#start(ServerSettings, Factory)}.
 */
class ListenerTls implements AutoCloseable {
    private static final java.time.Duration ENGINE_DEADLINE_MARGIN = java.time.Duration.ofMillis(25);
    private final ResumingSslContext context;

    private ListenerTls(ResumingSslContext context) {
        this.context = context;
    }

    /** For a subclass that brings its own TLS handlers (and overrides every method below). */
    ListenerTls() {
        this(null);
    }

    /** Makes each listener's TLS side: {@link #create} unless a benchmark swaps the engine. */
    @FunctionalInterface
    interface Factory {
        ListenerTls create(ServerSettings settings, ServerSettings.CertificateFiles certificate, SessionStore store,
                           ApplicationProtocolConfig alpn, SessionCacheMetrics metrics) throws Exception;
    }

    /**
     * A new, independent TLS context for one listener.
     *
     * @param settings    the server's settings (protocols, client auth, timeouts, context name)
     * @param certificate the certificate and key files (given or generated)
     * @param store       the session store every listener shares
     * @param alpn        the application protocols to offer
     * @param metrics     where the engine counts what the store cannot see
     */
    static ListenerTls create(ServerSettings settings, ServerSettings.CertificateFiles certificate, SessionStore store,
                              ApplicationProtocolConfig alpn, SessionCacheMetrics metrics) throws Exception {
        ResumingSslContextBuilder builder = ResumingSslContextBuilder
                .forServer(certificate.certificate(), certificate.privateKey())
                .sessionStore(store)
                .applicationProtocolConfig(alpn)
                .contextName(settings.contextName())
                // The store enforces --lookup-deadline itself (SessionStores) and its circuit breaker
                // learns from each verdict; the engine's own deadline only backs up a store that
                // never answers, so it must be longer.
                .lookupDeadline(settings.lookupDeadline().plus(ENGINE_DEADLINE_MARGIN))
                .sessionTimeout(settings.sessionTimeout())
                .ticketsPerHandshake(settings.tickets())
                .protocols(settings.protocols().toArray(String[]::new))
                .clientAuth(settings.clientAuth().toNetty())
                .metrics(metrics);
        settings.trust().ifPresent(builder::trustCertificates);
        return new ListenerTls(builder.build());
    }

    /**
     * Adds, first in a new connection's pipeline, what performs the TLS handshake: the context's own
     * {@code SslHandler}, whose engine looks the offered session up itself (the drop-in path the
     * library offers every framework; measured as cheap as, or cheaper than, a ClientHelloLookupHandler
     * in front). Its handshake timeout (10 s) also bounds a client that never sends its ClientHello.
     */
    void addTlsHandlers(ChannelPipeline pipeline) {
        SslHandler ssl = context.newHandler(pipeline.channel().alloc());
        ssl.setHandshakeTimeout(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        pipeline.addLast(ssl);
    }

    /** A connection must finish its handshake, ClientHello included, within this. */
    static final java.time.Duration HANDSHAKE_TIMEOUT = java.time.Duration.ofSeconds(10);

    /** Whether the handshake of {@code engine} resumed a session; empty when the engine cannot tell. */
    Optional<Boolean> resumed(SSLEngine engine) {
        return ResumingSslContext.resumed(engine.getSession());
    }

    /** Releases the TLS context. */
    @Override
    public void close() {
        context.close();
    }
}
