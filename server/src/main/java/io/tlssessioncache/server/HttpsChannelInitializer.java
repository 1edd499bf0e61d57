package io.tlssessioncache.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of one accepted connection: TLS first (the listener's handlers), an idle timeout,
 * then HTTP/2 or HTTP/1.1 as ALPN decided. Every request size is bounded.
 */
final class HttpsChannelInitializer extends ChannelInitializer<SocketChannel> {

    /** ALPN as offered by the server: h2 preferred, HTTP/1.1 for everyone else. */
    static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADERS = 8192;
    static final int MAX_CONTENT = 16 * 1024;
    static final int MAX_CONCURRENT_STREAMS = 100;
    /** An established connection with no traffic at all for this long is closed. */
    static final long IDLE_SECONDS = 120;

    private static final Logger log = LoggerFactory.getLogger(HttpsChannelInitializer.class);

    private final ListenerTls tls;
    private final ResumptionPage page;

    HttpsChannelInitializer(ListenerTls tls) {
        this.tls = tls;
        this.page = new ResumptionPage(tls);
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        tls.addTlsHandlers(pipeline);
        pipeline.addLast("idle", new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS) {
            @Override
            protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
                ctx.close();
            }
        });
        pipeline.addLast("alpn", new Alpn());
    }

    /** Installs the HTTP codec the client and server agreed on, once the handshake is done. */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {

        Alpn() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            ChannelPipeline pipeline = ctx.pipeline();
            switch (protocol) {
                case ApplicationProtocolNames.HTTP_2 -> pipeline.addLast(
                        Http2FrameCodecBuilder.forServer()
                                .initialSettings(Http2Settings.defaultSettings()
                                        .maxHeaderListSize(MAX_HEADERS)
                                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS))
                                .build(),
                        new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                stream.pipeline().addLast(
                                        new Http2StreamFrameToHttpObjectCodec(true),
                                        new HttpObjectAggregator(MAX_CONTENT),
                                        page);
                            }
                        }));
                case ApplicationProtocolNames.HTTP_1_1 -> pipeline.addLast(
                        new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                                .setMaxHeaderSize(MAX_HEADERS)),
                        new HttpServerKeepAliveHandler(),
                        new HttpObjectAggregator(MAX_CONTENT),
                        page);
                default -> {
                    log.debug("{} negotiated an unsupported protocol {}, closing", ctx.channel(), protocol);
                    ctx.close();
                }
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // Scanners and clients that reject the certificate do this all day: not worth a warning.
            log.debug("{} TLS handshake failed: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }
}
