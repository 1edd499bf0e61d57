package io.tlssessioncache.netty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ImmediateExecutor;
import io.tlssessioncache.core.MicrometerSessionCacheMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The context as a drop-in: only {@code SslHandler}s in the pipeline, built each way a framework
 * builds them, and the engine looks sessions up itself. The store answers from another thread
 * after a delay, as Redis does.
 */
@Timeout(120)
class DropInContextTest {
    @TempDir
    static Path dir;
    static Path[] cert;
    static EventLoopGroup oneLoop;
    static ExecutorService pool;

    /** How the pipeline's SslHandler is made: the ways Netty users and frameworks make it. */
    enum Wiring {
        /** {@code ctx.newHandler(alloc)}: plain Netty, Reactor Netty. Tasks run when the store answers. */
        NEW_HANDLER(true),
        /** {@code ctx.newHandler(alloc, ImmediateExecutor)}: Vert.x without its worker pool; replaced by ours. */
        NEW_HANDLER_IMMEDIATE(true),
        /** {@code ctx.newHandler(alloc, pool)}: Vert.x with its worker pool. */
        NEW_HANDLER_WITH_POOL(true),
        /** {@code new SslHandler(ctx.newEngine(alloc), false, pool)}: gRPC with its executor. */
        ENGINE_WITH_POOL(true),
        /** {@code new SslHandler(ctx.newEngine(alloc))}: tasks run inline on the event loop. */
        ENGINE_INLINE(false),
        /** {@code ctx.newHandler(alloc, ch.eventLoop())}: the event loop itself as the executor. */
        NEW_HANDLER_EVENT_LOOP(false);

        final boolean waits;

        Wiring(boolean waits) {
            this.waits = waits;
        }

        SslHandler handler(ResumingSslContext ctx, SocketChannel ch) {
            return switch (this) {
                case NEW_HANDLER -> ctx.newHandler(ch.alloc());
                case NEW_HANDLER_IMMEDIATE -> ctx.newHandler(ch.alloc(), ImmediateExecutor.INSTANCE);
                case NEW_HANDLER_WITH_POOL -> ctx.newHandler(ch.alloc(), pool);
                case ENGINE_WITH_POOL -> new SslHandler(ctx.newEngine(ch.alloc()), false, pool);
                case ENGINE_INLINE -> new SslHandler(ctx.newEngine(ch.alloc()));
                case NEW_HANDLER_EVENT_LOOP -> ctx.newHandler(ch.alloc(), ch.eventLoop());
            };
        }
    }

    @BeforeAll
    static void setUp() throws Exception {
        cert = OpenSslCli.selfSigned(dir, "localhost");
        oneLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        pool = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void tearDown() throws Exception {
        oneLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        pool.shutdownNow();
    }

    /** An echo server on one event loop thread whose pipeline is the wired SslHandler and the echo. */
    static final class Server implements AutoCloseable {
        final Channel channel;
        final Queue<SslHandler> handshaken = new ConcurrentLinkedQueue<>();
        final Queue<Long> handshakeDoneAt = new ConcurrentLinkedQueue<>();

        Server(ResumingSslContext ctx, Wiring wiring) throws InterruptedException {
            channel = new ServerBootstrap().group(oneLoop).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler ssl = wiring.handler(ctx, ch);
                            ch.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                                    if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
                                        handshakeDoneAt.add(System.nanoTime());
                                        handshaken.add(ssl);
                                    }
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext c, Object msg) {
                                    c.writeAndFlush(msg);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                    c.close();
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        @Override
        public void close() throws InterruptedException {
            channel.close().sync();
        }
    }

    static ResumingSslContext context(MapSessionStore store, SimpleMeterRegistry registry, Duration deadline)
            throws Exception {
        return ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store).contextName("drop-in")
                .lookupDeadline(deadline).metrics(MicrometerSessionCacheMetrics.create(registry)).build();
    }

    static double count(SimpleMeterRegistry registry, String name, String tag, String value) {
        Counter c = tag == null ? registry.find("tls.session.cache." + name).counter()
                : registry.find("tls.session.cache." + name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    static OpenSslCli.Client sClient(int port, String... extra) throws Exception {
        return OpenSslCli.sClient(port, List.of(extra), 15_000);
    }

    /**
     * Every wiring resumes TLS 1.3 and TLS 1.2 from a store that answers from another thread after
     * 20 ms, except the two whose tasks run on the event loop: those never wait, do a full handshake,
     * and count the lookup they could not wait for. With the answer there at once (the embedded
     * store), every wiring resumes.
     */
    @ParameterizedTest
    @EnumSource(Wiring.class)
    void resumesWithOnlyAnSslHandlerInThePipeline(Wiring wiring) throws Exception {
        MapSessionStore store = new MapSessionStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ResumingSslContext ctx = context(store, registry, Duration.ofSeconds(2)); Server server = new Server(ctx, wiring)) {
            for (String version : List.of("-tls1_3", "-tls1_2")) {
                Path sess = dir.resolve(wiring + version);
                store.mode = MapSessionStore.Mode.NORMAL;
                assertEquals("New", sClient(server.port(), version, "-sess_out", sess.toString()).resumption());
                store.mode = MapSessionStore.Mode.DELAYED;
                OpenSslCli.Client second = sClient(server.port(), version, "-sess_in", sess.toString());
                assertTrue(second.echoed(), second.output());
                assertEquals(wiring.waits ? "Reused" : "New", second.resumption(), wiring + " " + version);
                SslHandler h = last(server);
                assertEquals(wiring.waits, ResumingSslContext.resumed(h.engine().getSession()).orElseThrow());
                // the embedded store answers at once: no waiting needed, every wiring resumes
                store.mode = MapSessionStore.Mode.NORMAL;
                assertEquals("New", sClient(server.port(), version, "-sess_out", sess.toString()).resumption());
                assertEquals("Reused", sClient(server.port(), version, "-sess_in", sess.toString()).resumption(),
                        wiring + " " + version + ", answer at once");
            }
            assertEquals(wiring.waits ? 0.0 : 2.0, count(registry, "not.awaited", "operation", "lookup"));
        }
    }

    private static SslHandler last(Server server) {
        SslHandler h = null;
        for (SslHandler x : server.handshaken) {
            h = x;
        }
        return h;
    }

    /**
     * One event loop thread; the store answers after 400 ms. While the first connection's lookup is
     * pending, a second connection's full handshake completes: before the store answered the first.
     * For every wiring; the inline ones do not wait at all.
     */
    @ParameterizedTest
    @EnumSource(Wiring.class)
    void aSlowStoreDelaysNoOtherConnection(Wiring wiring) throws Exception {
        MapSessionStore store = new MapSessionStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ResumingSslContext ctx = context(store, registry, Duration.ofSeconds(5)); Server server = new Server(ctx, wiring)) {
            Path sess = dir.resolve("slow-" + wiring);
            assertEquals("New", sClient(server.port(), "-tls1_3", "-sess_out", sess.toString()).resumption());
            ClientHelloLookupHandlerTest.jdkHandshake(server.port(), "TLSv1.3"); // warm: the measured one must not load classes
            store.mode = MapSessionStore.Mode.DELAYED;
            store.delayMillis = 400;
            long t0 = System.nanoTime();
            CompletableFuture<OpenSslCli.Client> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return sClient(server.port(), "-tls1_3", "-sess_in", sess.toString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            while (store.takes.isEmpty() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(2);
            }
            assertEquals(1, store.takes.size(), "the first connection's lookup started");
            // no ticket: a full handshake on the same event loop thread, with no store command
            ClientHelloLookupHandlerTest.jdkHandshake(server.port(), "TLSv1.3");
            long secondDone = System.nanoTime();
            OpenSslCli.Client first = slow.get(30, TimeUnit.SECONDS);
            assertEquals(wiring.waits ? "Reused" : "New", first.resumption(), first.output());
            for (int i = 0; i < 200 && store.answeredAt.isEmpty(); i++) {
                Thread.sleep(10); // an inline wiring went on without the answer: it comes later
            }
            assertEquals(1, store.answeredAt.size());
            assertTrue(secondDone < store.answeredAt.getFirst(),
                    "the second handshake finished before the store answered the first: "
                            + (store.answeredAt.getFirst() - secondDone) / 1_000_000 + " ms earlier");
            System.out.printf("[drop-in] %s: second handshake done %d ms after the first lookup started (store: 400 ms)%n",
                    wiring, (secondDone - t0) / 1_000_000);
        }
    }

    /** A plain SslHandler around {@code ctx.newEngine(alloc)} reports ALPN (gRPC's check). */
    @Test
    void plainSslHandlerSeesTheNegotiatedApplicationProtocol() throws Exception {
        MapSessionStore store = new MapSessionStore();
        ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1");
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store)
                .applicationProtocolConfig(alpn).build();
             Server server = new Server(ctx, Wiring.ENGINE_INLINE)) {
            assertTrue(ctx.applicationProtocolNegotiator().protocols().contains("h2"));
            Path sess = dir.resolve("alpn");
            assertEquals("New", sClient(server.port(), "-alpn", "h2", "-sess_out", sess.toString()).resumption());
            assertEquals("h2", last(server).applicationProtocol());
            assertEquals("Reused", sClient(server.port(), "-alpn", "h2", "-sess_in", sess.toString()).resumption());
            assertEquals("h2", last(server).applicationProtocol());
            sClient(server.port(), "-alpn", "spdy/1,http/1.1");
            assertEquals("http/1.1", last(server).applicationProtocol());
            sClient(server.port(), "-alpn", "spdy/1");
            assertNull(last(server).applicationProtocol(), "no common protocol: none (NO_ADVERTISE)");
            sClient(server.port());
            assertNull(last(server).applicationProtocol());
        }
    }

    /** One context, two certificates chosen by SNI, two namespaces: no session crosses them. */
    @Test
    void sniCertificatesInOneContextKeepTheirSessionsApart() throws Exception {
        Path[] other = OpenSslCli.selfSigned(dir, "b.test");
        MapSessionStore store = new MapSessionStore();
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store)
                .sniCertificate("b.test", other[0], other[1]).sniCertificate("*.wild.test", other[0], other[1]).build();
             Server server = new Server(ctx, Wiring.NEW_HANDLER)) {
            assertTrue(sClient(server.port(), "-servername", "b.test").subject().contains("b.test"));
            assertTrue(sClient(server.port(), "-servername", "x.wild.test").subject().contains("b.test"));
            assertTrue(sClient(server.port(), "-servername", "localhost").subject().contains("localhost"));
            assertTrue(sClient(server.port(), "-noservername").subject().contains("localhost"));
            for (String version : List.of("-tls1_3", "-tls1_2")) {
                store.map.clear(); // only this handshake's session below
                Path sessB = dir.resolve("sni-b" + version);
                assertEquals("New", sClient(server.port(), version, "-servername", "b.test", "-sess_out", sessB.toString()).resumption());
                assertEquals(1, store.map.size());
                String namespaceB = store.map.keySet().iterator().next().namespace();
                assertFalse(namespaceB.equals(ctx.namespace()), "b.test has its own namespace");
                assertEquals("Reused", sClient(server.port(), version, "-servername", "b.test", "-sess_in", sessB.toString()).resumption());
                store.map.clear();
                assertEquals("New", sClient(server.port(), version, "-servername", "b.test", "-sess_out", sessB.toString()).resumption());
                store.gets.clear();
                store.takes.clear();
                // the b.test session offered under another name: looked up in the default namespace, a miss
                OpenSslCli.Client crossed = sClient(server.port(), version, "-servername", "localhost", "-sess_in", sessB.toString());
                assertEquals("New", crossed.resumption(), crossed.output());
                store.gets.forEach(k -> assertEquals(ctx.namespace(), k.namespace()));
                store.takes.forEach(k -> assertEquals(ctx.namespace(), k.namespace()));
                store.map.clear();
            }
        }
    }

    /**
     * A new session's id reaches the client only once the store acknowledged its write: the held
     * output (TLS 1.3: the ticket, before the echo; TLS 1.2: the server's Finished) goes out after
     * the put completes. Inline wirings cannot wait: they send at once and count it.
     */
    @ParameterizedTest
    @EnumSource(value = Wiring.class, names = {"NEW_HANDLER", "ENGINE_WITH_POOL", "ENGINE_INLINE"})
    void newSessionsReachTheClientOnlyAfterTheStoreHasThem(Wiring wiring) throws Exception {
        MapSessionStore store = new MapSessionStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ResumingSslContext ctx = context(store, registry, Duration.ofSeconds(5)); Server server = new Server(ctx, wiring)) {
            ClientHelloLookupHandlerTest.jdkHandshake(server.port(), "TLSv1.3"); // warm
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                store.putGate = new CompletableFuture<>();
                long[] opened = new long[1];
                CompletableFuture.runAsync(() -> {
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    opened[0] = System.nanoTime();
                    store.putGate.complete(null);
                });
                ClientHelloLookupHandlerTest.jdkHandshake(server.port(), protocol); // handshake + one echo
                long echoed = System.nanoTime();
                store.putGate.join();
                if (wiring.waits) {
                    assertTrue(echoed > opened[0], protocol + ": the client got the server's next bytes only after the put");
                } else {
                    assertTrue(opened[0] == 0 || echoed < opened[0], protocol + ": inline, sent without waiting");
                }
            }
            store.putGate = null;
            assertEquals(wiring.waits ? 0.0 : 2.0, count(registry, "not.awaited", "operation", "put"));
        }
    }

    /** A client that leaves while its lookup waits: the lookup is cancelled (a store sends nothing it has not sent). */
    @Test
    void aLookupIsCancelledWhenTheClientLeaves() throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ResumingSslContext ctx = context(store, new SimpleMeterRegistry(), Duration.ofSeconds(5));
             Server server = new Server(ctx, Wiring.NEW_HANDLER)) {
            Path sess = dir.resolve("leaves");
            assertEquals("New", sClient(server.port(), "-tls1_3", "-sess_out", sess.toString()).resumption());
            store.mode = MapSessionStore.Mode.DELAYED;
            store.delayMillis = 2_000;
            Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + server.port(), "-tls1_3",
                    "-sess_in", sess.toString()).redirectErrorStream(true).start();
            long t0 = System.nanoTime();
            while (store.takes.isEmpty() && System.nanoTime() - t0 < 10_000_000_000L) {
                Thread.sleep(2);
            }
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            for (int i = 0; i < 300 && store.cancelled.isEmpty(); i++) {
                Thread.sleep(10);
            }
            assertEquals(1, store.cancelled.size(), "the pending take was cancelled");
            assertTrue(store.answeredAt.isEmpty());
        }
    }

    /**
     * A TLS 1.2 session id travels in clear: anyone who saw it can present it as a TLS 1.3 PSK
     * identity. That take looks in the TLS 1.3 key space only: the TLS 1.2 session stays and resumes.
     */
    @Test
    void aTls12SessionIdPresentedAsATls13TicketDeletesNothing() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (io.tlssessioncache.core.InMemorySessionStore store = io.tlssessioncache.core.InMemorySessionStore.builder()
                     .metrics(MicrometerSessionCacheMetrics.create(registry)).build();
             ResumingSslContext ctx = ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store)
                     .metrics(MicrometerSessionCacheMetrics.create(registry)).build();
             Server server = new Server(ctx, Wiring.NEW_HANDLER)) {
            Path sess = dir.resolve("tls12-as-psk");
            assertEquals("New", sClient(server.port(), "-tls1_2", "-sess_out", sess.toString()).resumption());
            String text = OpenSslCli.run(List.of("openssl", "sess_id", "-in", sess.toString(), "-noout", "-text"), 10);
            String hex = text.lines().map(String::trim).filter(l -> l.startsWith("Session-ID:")).findFirst()
                    .orElseThrow().substring("Session-ID:".length()).trim();
            byte[] id = java.util.HexFormat.of().parseHex(hex);
            assertEquals(32, id.length, text);
            // the eavesdropper: a TLS 1.3 ClientHello offering the TLS 1.2 id as its ticket
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write(ClientHelloBytes.record(ClientHelloBytes.tls13().psk(id).body()));
                s.getOutputStream().flush();
                try {
                    s.getInputStream().read(new byte[4096]); // an alert or the ServerHello: the lookup was made
                } catch (java.io.IOException ignored) {
                    // reset: fine
                }
            }
            assertEquals(1.0, count(registry, "takes", null, null), "the take was made");
            assertEquals("Reused", sClient(server.port(), "-tls1_2", "-sess_in", sess.toString()).resumption(),
                    "the TLS 1.2 session survived the take of its id");
        }
    }
}
