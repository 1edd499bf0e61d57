package io.tlssessioncache.server;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.ClientHelloLookupHandler;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.netty.ResumingSslContextBuilder;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/** The product's engine: OpenSSL 3 with sessions in the shared store ({@link ResumingSslContext}). */
final class OpenSslTls implements TlsProvider {

    @Override
    public ListenerTls newListener(ServerSettings settings, ServerSettings.CertificateFiles certificate,
                                   SessionStore store, ApplicationProtocolConfig alpn,
                                   SessionCacheMetrics metrics) throws Exception {
        ResumingSslContextBuilder builder = ResumingSslContextBuilder
                .forServer(certificate.certificate(), certificate.privateKey())
                .sessionStore(store)
                .applicationProtocolConfig(alpn)
                .contextName(settings.contextName())
                .lookupDeadline(settings.lookupDeadline())
                .sessionTimeout(settings.sessionTimeout())
                .ticketsPerHandshake(settings.tickets())
                .protocols(settings.protocols().toArray(String[]::new))
                .clientAuth(settings.clientAuth().toNetty())
                .metrics(metrics);
        settings.trust().ifPresent(builder::trustCertificates);
        ResumingSslContext context = builder.build();
        return new Listener(context, metrics);
    }

    private record Listener(ResumingSslContext context, SessionCacheMetrics metrics) implements ListenerTls {

        @Override
        public void addTlsHandlers(ChannelPipeline pipeline) {
            // Looks the offered session up in the store without blocking, then replaces itself
            // with the SslHandler (which the rest of the pipeline finds by type).
            pipeline.addLast(new ClientHelloLookupHandler(context, metrics, ClientHelloLookupHandler.DEFAULT_HELLO_TIMEOUT));
        }

        @Override
        public Optional<Boolean> resumed(SSLEngine engine) {
            return ResumingSslContext.resumed(engine.getSession());
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
