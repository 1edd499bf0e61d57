package io.tlssessioncache.server;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import picocli.CommandLine;

/**
 * {@code serve} with stock Netty's tcnative engine ({@code SslProvider.OPENSSL}, netty-tcnative-boringssl-static)
 * instead of this project's: the same {@link ServerNode}, pipeline ({@link HttpsChannelInitializer}), page and
 * options, so that a benchmark compares the TLS engines alone. For the benchmarks only (this class lives in the
 * benchmarks module, in the server's package to reach its package-private classes); sessions are tcnative's own
 * (per process: stateless tickets with per-context keys), the store option is accepted and unused.
 *
 * <p>{@code java -cp benchmarks.jar io.tlssessioncache.server.TcnativeServe [serve options]}
 */
public final class TcnativeServe {

    private TcnativeServe() {
    }

    public static void main(String[] args) throws Exception {
        if (!io.netty.handler.ssl.OpenSsl.isAvailable()) {
            System.err.println("error: netty-tcnative is not available: " + io.netty.handler.ssl.OpenSsl.unavailabilityCause());
            System.exit(1);
        }
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs(args);
        ServerSettings settings = command.settings();
        ServerNode node = ServerNode.start(settings, TcnativeServe::listener);
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "tcnative-serve-shutdown"));
        PrintStream out = System.out;
        for (InetSocketAddress address : node.addresses()) {
            out.println("listening on " + HostPort.format(address));
        }
        out.flush();
        node.awaitTermination();
    }

    /** One tcnative {@link SslContext} per listener, with {@code serve}'s protocols, ALPN and client-auth policy. */
    private static ListenerTls listener(ServerSettings settings, ServerSettings.CertificateFiles certificate,
                                        SessionStore store, ApplicationProtocolConfig alpn, SessionCacheMetrics metrics)
            throws Exception {
        SslContextBuilder builder = SslContextBuilder
                .forServer(certificate.certificate().toFile(), certificate.privateKey().toFile())
                .sslProvider(SslProvider.OPENSSL)
                .protocols(settings.protocols().toArray(String[]::new))
                .applicationProtocolConfig(alpn)
                .clientAuth(settings.clientAuth().toNetty());
        settings.trust().ifPresent(t -> builder.trustManager(t.toFile()));
        SslContext context = builder.build();
        return new ListenerTls() {
            @Override
            void addTlsHandlers(ChannelPipeline pipeline) {
                pipeline.addLast(context.newHandler(pipeline.channel().alloc()));
            }

            @Override
            Optional<Boolean> resumed(SSLEngine engine) {
                return Optional.empty();
            }

            @Override
            public void close() {
                ReferenceCountUtil.release(context);
            }
        };
    }
}
