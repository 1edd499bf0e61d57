package io.tlssessioncache.server;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.tlssessioncache.core.SessionStore;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/** Temporary: the JDK's TLS, which cannot use the shared store, until the OpenSSL engine lands. */
final class JdkStandInTls implements TlsProvider {

    @Override
    public ListenerTls newListener(ServerSettings settings, ServerSettings.CertificateFiles certificate,
                                   SessionStore store, ApplicationProtocolConfig alpn) throws Exception {
        SslContextBuilder builder = SslContextBuilder.forServer(certificate.certificate().toFile(), certificate.privateKey().toFile())
                .sslProvider(SslProvider.JDK)
                .protocols(settings.protocols())
                .clientAuth(settings.clientAuth().toNetty())
                .sessionTimeout(settings.sessionTimeout().toSeconds())
                .applicationProtocolConfig(alpn);
        settings.trust().ifPresent(trust -> builder.trustManager(trust.toFile()));
        SslContext context = builder.build();
        return new ListenerTls() {
            @Override
            public void addTlsHandlers(ChannelPipeline pipeline) {
                pipeline.addLast(context.newHandler(pipeline.channel().alloc()));
            }

            @Override
            public Optional<Boolean> resumed(SSLEngine engine) {
                return Optional.empty();
            }

            @Override
            public void close() {
            }
        };
    }
}
