package io.tlssessioncache.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * Answers {@code GET /} with a few plain-text lines describing this connection's TLS session,
 * first of all whether it was resumed. Works for HTTP/1.1 connections and HTTP/2 streams alike
 * (both arrive here as {@link FullHttpRequest}s).
 */
@ChannelHandler.Sharable
final class ResumptionPage extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final ListenerTls tls;
    private final PeerErrors peerErrors;

    ResumptionPage(ListenerTls tls, PeerErrors peerErrors) {
        this.tls = tls;
        this.peerErrors = peerErrors;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        FullHttpResponse response;
        if (request.decoderResult().isFailure()) {
            // on a closed connection: the peer left in the middle of its request
            peerErrors.record(ctx.channel(), ctx.channel().isActive() ? PeerErrors.Kind.BAD_REQUEST : PeerErrors.Kind.RESET, null);
            response = text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            HttpUtil.setKeepAlive(response, false);
        } else if (!"/".equals(new QueryStringDecoder(request.uri()).path())) {
            response = text(HttpResponseStatus.NOT_FOUND, "not found\n");
        } else if (!HttpMethod.GET.equals(request.method())) {
            response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
        } else {
            response = text(HttpResponseStatus.OK, describe(ctx.channel()));
        }
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** The lines of the page; {@code channel} is the connection or, for HTTP/2, one of its streams. */
    private String describe(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel stream ? stream.parent() : channel;
        SslHandler ssl = connection.pipeline().get(SslHandler.class);
        StringBuilder page = new StringBuilder(160);
        if (ssl == null) {
            // Cannot happen on this server's pipelines; say so rather than fail.
            return "tls: none\n";
        }
        SSLEngine engine = ssl.engine();
        SSLSession session = engine.getSession();
        String resumed = tls.resumed(engine).map(r -> r ? "yes" : "no").orElse("unknown");
        String alpn = ssl.applicationProtocol();
        page.append("resumed: ").append(resumed).append('\n')
                .append("protocol: ").append(session.getProtocol()).append('\n')
                .append("cipher: ").append(session.getCipherSuite()).append('\n')
                .append("alpn: ").append(alpn == null || alpn.isEmpty() ? "none" : alpn).append('\n')
                .append("node: ").append(node(connection.localAddress())).append('\n');
        return page.toString();
    }

    private static String node(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? HostPort.format(inet) : String.valueOf(address);
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }
}
