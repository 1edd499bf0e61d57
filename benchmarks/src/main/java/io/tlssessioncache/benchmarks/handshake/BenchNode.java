package io.tlssessioncache.benchmarks.handshake;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.ClientHelloLookupHandler;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.netty.ResumingSslContextBuilder;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One in-process server node on 127.0.0.1 (ephemeral port) with one event-loop thread, whichever the
 * TLS stack: after the handshake it answers every read with {@link #RESPONSE}. The thread's CPU time
 * is readable, so a run can report server CPU per handshake (independent of how busy the machine is).
 */
final class BenchNode implements AutoCloseable {
    static final byte[] REQUEST = "hi".getBytes(StandardCharsets.US_ASCII);
    static final byte[] RESPONSE = "ok".getBytes(StandardCharsets.US_ASCII);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final java.util.concurrent.atomic.AtomicInteger NODES = new java.util.concurrent.atomic.AtomicInteger();

    /** TLS 1.3 tickets per full handshake: the product's default ({@code ResumingSslContextBuilder}, {@code serve --tickets}). */
    static final int DEFAULT_TICKETS = 1;

    /** How a node is configured: TLS stack, certificate, protocol, optional client auth. */
    record Spec(Provider provider, Certificates.Pair certificate, String protocol, ClientAuth clientAuth, Path trust,
                int tickets) {
        Spec(Provider provider, Certificates.Pair certificate, String protocol) {
            this(provider, certificate, protocol, ClientAuth.NONE, null, DEFAULT_TICKETS);
        }

        Spec(Provider provider, Certificates.Pair certificate, String protocol, ClientAuth clientAuth, Path trust) {
            this(provider, certificate, protocol, clientAuth, trust, DEFAULT_TICKETS);
        }
    }

    private final EventLoopGroup group;
    private final Channel listener;
    private final AutoCloseable context;
    private final List<Thread> threads;
    private final AutoCloseable ownedStore;
    private boolean dropIn;

    private BenchNode(EventLoopGroup group, Channel listener, AutoCloseable context, List<Thread> threads,
                      AutoCloseable ownedStore) {
        this.group = group;
        this.listener = listener;
        this.context = context;
        this.threads = threads;
        this.ownedStore = ownedStore;
    }

    /** Starts a node; {@code store} is used by {@link Provider#ENGINE} only (stock Netty keeps sessions per node). */
    static BenchNode start(Spec spec, SessionStore store) throws Exception {
        return start(spec, store, SessionCacheMetrics.noop());
    }

    /** As {@link #start(Spec, SessionStore)}, the lookup handler reporting to {@code metrics}. */
    static BenchNode start(Spec spec, SessionStore store, SessionCacheMetrics metrics) throws Exception {
        return start(spec, group -> store, metrics, false);
    }

    /**
     * A node whose store is made for its event-loop group (a Redis store that may run Lettuce on the
     * node's event loop, {@code RedisStoreOptions.eventLoopGroup}); the node owns that store and
     * closes it before its group.
     */
    static BenchNode startWithOwnStore(Spec spec, java.util.function.Function<EventLoopGroup, SessionStore> storeFactory,
                                       SessionCacheMetrics metrics) throws Exception {
        return start(spec, storeFactory, metrics, true);
    }

    private static BenchNode start(Spec spec, java.util.function.Function<EventLoopGroup, SessionStore> storeFactory,
                                   SessionCacheMetrics metrics, boolean ownStore) throws Exception {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "bench-node-" + spec.provider().name().toLowerCase() + "-" + NODES.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory, NioIoHandler.newFactory());
        AutoCloseable closeable = null;
        SessionStore store = null;
        try {
            store = storeFactory.apply(group);
            Consumer<SocketChannel> tls;
            switch (spec.provider()) {
                case ENGINE, ENGINE_DROP_IN -> {
                    ResumingSslContextBuilder builder = ResumingSslContextBuilder
                            .forServer(spec.certificate().certificate(), spec.certificate().key())
                            .sessionStore(store)
                            .contextName("bench")
                            .ticketsPerHandshake(spec.tickets())
                            .protocols(spec.protocol())
                            .clientAuth(spec.clientAuth());
                    if (spec.trust() != null) {
                        builder.trustCertificates(spec.trust());
                    }
                    ResumingSslContext context = builder.build();
                    closeable = context;
                    if (spec.provider() == Provider.ENGINE_DROP_IN) {
                        tls = ch -> ch.pipeline().addLast(context.newHandler(ch.alloc()));
                    } else {
                        tls = ch -> ch.pipeline().addLast(new ClientHelloLookupHandler(context, metrics,
                                ClientHelloLookupHandler.DEFAULT_HELLO_TIMEOUT));
                    }
                }
                case NETTY_OPENSSL, NETTY_JDK -> {
                    if (spec.provider() == Provider.NETTY_OPENSSL && !io.netty.handler.ssl.OpenSsl.isAvailable()) {
                        throw new IllegalStateException("netty-tcnative is not available: "
                                + io.netty.handler.ssl.OpenSsl.unavailabilityCause());
                    }
                    SslContextBuilder builder = SslContextBuilder
                            .forServer(spec.certificate().certificate().toFile(), spec.certificate().key().toFile())
                            .sslProvider(spec.provider() == Provider.NETTY_OPENSSL ? SslProvider.OPENSSL : SslProvider.JDK)
                            .protocols(spec.protocol())
                            .clientAuth(spec.clientAuth());
                    if (spec.trust() != null) {
                        builder.trustManager(spec.trust().toFile());
                    }
                    SslContext context = builder.build();
                    closeable = () -> ReferenceCountUtil.release(context);
                    tls = ch -> ch.pipeline().addLast(context.newHandler(ch.alloc()));
                }
                default -> throw new IllegalArgumentException(spec.provider().toString());
            }
            Channel listener = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            tls.accept(ch);
                            ch.pipeline().addLast(Responder.INSTANCE);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            BenchNode node = new BenchNode(group, listener, closeable, threads, ownStore ? store : null);
            node.dropIn = spec.provider() == Provider.ENGINE_DROP_IN;
            return node;
        } catch (Throwable t) {
            if (ownStore && store != null) {
                store.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (closeable != null) {
                closeable.close();
            }
            throw t;
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** CPU time the node's event-loop thread(s) have used so far. */
    long cpuNanos() {
        long sum = 0;
        for (Thread t : threads) {
            long n = THREADS.getThreadCpuTime(t.threadId());
            sum += Math.max(n, 0);
        }
        if (dropIn) {
            sum += virtualThreadCarrierNanos(); // where the drop-in engine's store waits run
        }
        return sum;
    }

    /**
     * CPU of the JVM's virtual-thread carriers (the default scheduler's "ForkJoinPool-N-worker-M"
     * threads). Only drop-in nodes run virtual threads in this benchmark, and scenarios run one at
     * a time, so a slice's carrier CPU is that scenario's.
     */
    static long virtualThreadCarrierNanos() {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (n.startsWith("ForkJoinPool-") && n.contains("-worker-")) {
                sum += Math.max(THREADS.getThreadCpuTime(t.threadId()), 0);
            }
        }
        return sum;
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (ownedStore != null) {
            try {
                ownedStore.close(); // before the group its Redis connections run on
            } catch (Exception e) {
                System.err.println("closing a store failed: " + e);
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        try {
            context.close();
        } catch (Exception e) {
            System.err.println("closing a TLS context failed: " + e);
        }
    }

    /** Answers each read (the client's tiny request) with two bytes; the client then closes. */
    @ChannelHandler.Sharable
    static final class Responder extends ChannelInboundHandlerAdapter {
        static final Responder INSTANCE = new Responder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ByteBuf reply = Unpooled.wrappedBuffer(RESPONSE);
            ctx.writeAndFlush(reply);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
