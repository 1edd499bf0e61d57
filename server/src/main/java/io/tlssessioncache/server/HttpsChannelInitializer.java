package io.tlssessioncache.server;

import io.netty.channel.ChannelHandler;
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
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of one accepted connection: TLS first (the listener's handlers), the request
 * deadline, an idle timeout, then HTTP/2 or HTTP/1.1 as ALPN decided, and last the handler that
 * counts what peers did wrong ({@link PeerErrors}). Every request size and wait is bounded.
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

    /** Name of the last handler: HTTP handlers are added before it. */
    private static final String TERMINAL = "peer-errors";

    private final ListenerTls tls;
    private final ResumptionPage page;
    private final Duration requestHeadTimeout;
    private final PeerErrors peerErrors;

    HttpsChannelInitializer(ListenerTls tls, Duration requestHeadTimeout, PeerErrors peerErrors) {
        this.tls = tls;
        this.requestHeadTimeout = requestHeadTimeout;
        this.peerErrors = peerErrors;
        this.page = new ResumptionPage(tls, peerErrors);
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        tls.addTlsHandlers(pipeline);
        pipeline.addLast("request-deadline", new RequestDeadline(requestHeadTimeout, peerErrors));
        pipeline.addLast("idle", new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS) {
            @Override
            protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
                ctx.close();
            }
        });
        pipeline.addLast("alpn", new Alpn());
        // Exceptions end here, counted or logged (PeerErrors), instead of at Netty's tail, which
        // WARNs with a stack trace for each, and for HTTP/2 with the client's bytes in the message.
        pipeline.addLast(TERMINAL, peerErrors.terminal());
    }

    private static void addBeforeTerminal(ChannelPipeline pipeline, ChannelHandler... handlers) {
        for (ChannelHandler handler : handlers) {
            pipeline.addBefore(TERMINAL, null, handler);
        }
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
                case ApplicationProtocolNames.HTTP_2 -> addBeforeTerminal(pipeline,
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
                                        RequestDeadline.Received.INSTANCE,
                                        page,
                                        peerErrors.terminal());
                            }
                        }));
                case ApplicationProtocolNames.HTTP_1_1 -> addBeforeTerminal(pipeline,
                        new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                                .setMaxHeaderSize(MAX_HEADERS)),
                        new HttpServerKeepAliveHandler(),
                        new HttpObjectAggregator(MAX_CONTENT),
                        RequestDeadline.Received.INSTANCE,
                        page);
                default -> {
                    log.debug("{} negotiated an unsupported protocol {}, closing", ctx.channel(), protocol);
                    ctx.close();
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // The base class WARNs with a stack trace for every reset or failed handshake: a
            // scanner's or any client's doing. The terminal handler counts those and closes.
            ctx.fireExceptionCaught(cause);
        }
    }
}
