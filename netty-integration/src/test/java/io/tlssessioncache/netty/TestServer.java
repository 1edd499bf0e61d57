package io.tlssessioncache.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Netty echo server on 127.0.0.1 using only {@code ctx.newHandler(alloc)}: the engine looks
 * sessions up in the context's store itself. A received line "bye" is echoed and the server closes
 * (close_notify) after it.
 */
final class TestServer implements AutoCloseable {
    final ResumingSslContext ctx;
    final EventLoopGroup group;
    final Channel channel;
    final Queue<OpenSslServerEngine> handshaken = new ConcurrentLinkedQueue<>();
    final Queue<Throwable> handshakeFailures = new ConcurrentLinkedQueue<>();
    final Queue<SslCloseCompletionEvent> closeEvents = new ConcurrentLinkedQueue<>();

    TestServer(ResumingSslContext ctx) throws InterruptedException {
        this(ctx, p -> { });
    }

    TestServer(ResumingSslContext ctx, Consumer<io.netty.channel.ChannelPipeline> extra)
            throws InterruptedException {
        this.ctx = ctx;
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = ctx.newHandler(ch.alloc());
                        OpenSslServerEngine engine = (OpenSslServerEngine) ssl.engine();
                        ch.pipeline().addLast(ssl);
                        extra.accept(ch.pipeline());
                        ch.pipeline().addLast(new Echo(engine));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        private final OpenSslServerEngine engine;
        private final StringBuilder line = new StringBuilder();

        Echo(OpenSslServerEngine engine) {
            this.engine = engine;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    handshaken.add(engine);
                } else {
                    handshakeFailures.add(e.cause());
                }
            } else if (evt instanceof SslCloseCompletionEvent e) {
                closeEvents.add(e);
            }
            super.userEventTriggered(c, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            boolean bye = false;
            if (buf.readableBytes() < 64) {
                line.append(buf.toString(StandardCharsets.ISO_8859_1));
                bye = line.toString().contains("bye\n");
                if (line.length() > 64) {
                    line.delete(0, line.length() - 8);
                }
            }
            if (bye) {
                c.writeAndFlush(msg).addListener(f -> c.close());
            } else {
                c.writeAndFlush(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            c.close();
        }
    }
}
