package io.tlssessioncache.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics} in Prometheus' text format, over plain HTTP on its own listener
 * ({@code --metrics-listen}): scrapers live on internal networks, and keeping them off the TLS port
 * keeps its handshake counts honest.
 */
@ChannelHandler.Sharable
final class MetricsEndpoint extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final PrometheusMeterRegistry registry;

    MetricsEndpoint(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** The pipeline of one metrics connection: bounded requests, idle connections closed. */
    ChannelInitializer<SocketChannel> initializer() {
        MetricsEndpoint endpoint = this;
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(
                        new ReadTimeoutHandler(30),
                        new HttpServerCodec(4096, 8192, 8192),
                        new HttpObjectAggregator(4096),
                        endpoint);
            }
        };
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        FullHttpResponse response;
        if (request.decoderResult().isFailure()) {
            response = text(HttpResponseStatus.BAD_REQUEST, "bad request\n", "text/plain; charset=utf-8");
            HttpUtil.setKeepAlive(response, false);
        } else if (!"/metrics".equals(new QueryStringDecoder(request.uri()).path())) {
            response = text(HttpResponseStatus.NOT_FOUND, "not found\n", "text/plain; charset=utf-8");
        } else if (!HttpMethod.GET.equals(request.method())) {
            response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n", "text/plain; charset=utf-8");
        } else {
            response = text(HttpResponseStatus.OK, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request) && HttpUtil.isKeepAlive(response);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body, String type) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
