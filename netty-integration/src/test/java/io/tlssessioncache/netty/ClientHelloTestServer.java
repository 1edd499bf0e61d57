package io.tlssessioncache.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Test fixture: a Netty server on 127.0.0.1:0 with the pipeline {@code [first handler] -> echo}.
 * The echo handler records the exceptions that reach it (failed handshakes after the hand-over).
 */
final class ClientHelloTestServer implements AutoCloseable {
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final Channel channel;

    ClientHelloTestServer(EventLoopGroup group, Supplier<ChannelHandler> first) throws InterruptedException {
        channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(first.get(), new Echo(errors));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
    }

    /** Echoes application data back; closes on any error, remembering it. */
    static final class Echo extends ChannelInboundHandlerAdapter {
        private final List<Throwable> errors;

        Echo(List<Throwable> errors) {
            this.errors = errors;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
            ctx.close();
        }
    }
}
