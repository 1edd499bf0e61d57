package io.tlssessioncache.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.tlssessioncache.core.InMemorySessionStore;
import io.tlssessioncache.netty.internal.ClientSession;
import io.tlssessioncache.netty.internal.NativeClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark's OpenSSL client mode ({@link NativeClient}) against two servers of this engine
 * sharing one store: a session from server A resumes on server B, the client sees it, and a used
 * TLS 1.3 ticket does not resume twice.
 */
@Timeout(60)
class NativeClientTest {
    private static final byte[] HI = "hi".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    static TestPki pki;

    private InMemorySessionStore store;
    private EventLoopGroup group;
    private ResumingSslContext contextA;
    private ResumingSslContext contextB;
    private InetSocketAddress a;
    private InetSocketAddress b;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
    }

    @BeforeEach
    void servers() throws Exception {
        store = InMemorySessionStore.builder().build();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        contextA = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(store).contextName("fleet").build();
        contextB = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(store).contextName("fleet").build();
        a = serve(contextA);
        b = serve(contextB);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        contextA.close();
        contextB.close();
        store.close();
    }

    private InetSocketAddress serve(ResumingSslContext context) throws InterruptedException {
        Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(new ClientHelloLookupHandler(context), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                                ctx.writeAndFlush(Unpooled.wrappedBuffer("ok".getBytes(StandardCharsets.US_ASCII)));
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return (InetSocketAddress) ch.localAddress();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void sessionFromAResumesOnB(String protocol) throws Exception {
        try (NativeClient client = NativeClient.builder().protocol(protocol).timeout(Duration.ofSeconds(10)).build()) {
            NativeClient.Handshake first = client.connect(a, null, HI, 2);
            assertFalse(first.reused());
            assertEquals(protocol, first.protocol());
            try (ClientSession session = first.session()) {
                assertNotNull(session);
                assertTrue(session.isResumable(), "a ticket arrived before the response was read");
                NativeClient.Handshake second = client.connect(b, session, HI, 2);
                assertTrue(second.reused(), "resumed on B with A's session");
                assertEquals(protocol, second.protocol());
                second.session().close();
                NativeClient.Handshake third = client.connect(b, session, HI, 2);
                // TLS 1.3 tickets are single-use (taken from the store); a TLS 1.2 session id is reusable.
                assertEquals(protocol.equals("TLSv1.2"), third.reused());
                third.session().close();
            }
        }
    }

    @Test
    void refusedConnectionIsAnIOException() throws Exception {
        InetSocketAddress closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        try (NativeClient client = NativeClient.builder().build()) {
            assertThrows(IOException.class, () -> client.connect(closed, null, HI, 2));
        }
    }
}
