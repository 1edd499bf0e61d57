package io.tlssessioncache.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.NettyRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tlssessioncache.core.MicrometerSessionCacheMetrics;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code serve}: one HTTPS listener per {@link ServerSettings#listen() address}, each an
 * independent server instance with its own TLS context, all sharing one session store and one
 * event loop group, on Netty's native epoll transport where it loads, else NIO ({@link Transport}).
 * {@link #start} returns once every listener is bound; {@link #close} (also run
 * by the JVM's shutdown hook) stops everything and can be called any number of times.
 */
final class ServerNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServerNode.class);
    /** Scrapers only (the metrics listener belongs on an internal address); part of the fd reserve. */
    static final int MAX_METRICS_CONNECTIONS = 16;

    private final EventLoopGroup group;
    private final SessionStore store;
    private final GeneratedCertificate generated; // null when the user gave --cert/--key
    private final ServerSettings.CertificateFiles certificate;
    private final List<ListenerTls> contexts;
    private final List<Channel> listeners;
    private final List<InetSocketAddress> addresses;
    private final PrometheusMeterRegistry registry;
    private final Optional<InetSocketAddress> metricsAddress;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);

    private ServerNode(EventLoopGroup group, SessionStore store, GeneratedCertificate generated,
                       ServerSettings.CertificateFiles certificate, List<ListenerTls> contexts, List<Channel> listeners,
                       PrometheusMeterRegistry registry, Optional<Channel> metricsListener) {
        this.group = group;
        this.registry = registry;
        this.metricsAddress = metricsListener.map(c -> (InetSocketAddress) c.localAddress());
        this.certificate = certificate;
        this.store = store;
        this.generated = generated;
        this.contexts = List.copyOf(contexts);
        this.listeners = List.copyOf(listeners);
        this.addresses = listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    static ServerNode start(ServerSettings settings) throws Exception {
        return start(settings, ListenerTls::create);
    }

    /** As {@link #start(ServerSettings)} with another engine per listener (the benchmarks' tcnative server). */
    static ServerNode start(ServerSettings settings, ListenerTls.Factory tlsFactory) throws Exception {
        GeneratedCertificate generated = null;
        SessionStore store = null;
        EventLoopGroup group = null;
        List<ListenerTls> contexts = new ArrayList<>();
        List<Channel> listeners = new ArrayList<>();
        // Always counted (cheap); exported only with --metrics-listen.
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SessionCacheMetrics metrics = MicrometerSessionCacheMetrics.create(registry);
        PeerErrors peerErrors = new PeerErrors(registry);
        // One limit for all TLS listeners: file descriptors are per process.
        ConnectionLimiter limiter = new ConnectionLimiter(settings.maxConnections(), registry, peerErrors, "https");
        try {
            ServerSettings.CertificateFiles certificate;
            if (settings.certificate().isPresent()) {
                certificate = settings.certificate().get();
            } else {
                generated = GeneratedCertificate.create();
                certificate = new ServerSettings.CertificateFiles(generated.certificate(), generated.privateKey());
                log.info("no --cert/--key given: using a generated self-signed certificate for localhost ({})",
                        generated.certificate());
            }
            store = SessionStores.open(settings.store(), settings, metrics);
            Transport transport = Transport.choose();
            group = new MultiThreadIoEventLoopGroup(eventLoopThreads(), transport.ioHandlers().get());
            long interval = settings.peerErrorLogInterval().toNanos();
            group.scheduleAtFixedRate(() -> peerErrors.summarize(settings.peerErrorLogInterval()),
                    interval, interval, TimeUnit.NANOSECONDS);
            log.info("at most {} open connections; a request must arrive within {} of the handshake",
                    settings.maxConnections(), settings.requestHeadTimeout().isZero() ? "any time"
                            : settings.requestHeadTimeout().toString().substring(2).toLowerCase(java.util.Locale.ROOT));
            for (HostPort address : settings.listen()) {
                ListenerTls tls = tlsFactory.create(settings, certificate, store, HttpsChannelInitializer.ALPN, metrics);
                contexts.add(tls);
                Channel channel;
                try {
                    channel = new ServerBootstrap()
                            .group(group)
                            .channel(transport.serverChannel())
                            .option(ChannelOption.SO_BACKLOG, 1024)
                            .handler(limiter)
                            .childHandler(new HttpsChannelInitializer(tls, settings.requestHeadTimeout(), peerErrors))
                            .bind(address.toSocketAddress())
                            .sync()
                            .channel();
                } catch (Exception e) {
                    throw new ListenException("cannot listen on " + address + ": " + e.getMessage(), e);
                }
                listeners.add(channel);
                log.info("listener {} ready (store: {}, context: {}, transport: {})",
                        HostPort.format((InetSocketAddress) channel.localAddress()), settings.store(), settings.contextName(),
                        transport.name());
            }
            Optional<Channel> metricsListener = Optional.empty();
            if (settings.metricsListen().isPresent()) {
                HostPort address = settings.metricsListen().get();
                Channel channel;
                try {
                    channel = new ServerBootstrap()
                            .group(group)
                            .channel(transport.serverChannel())
                            .handler(new ConnectionLimiter(MAX_METRICS_CONNECTIONS, registry, null, "metrics"))
                            .childHandler(new MetricsEndpoint(registry).initializer())
                            .bind(address.toSocketAddress())
                            .sync()
                            .channel();
                } catch (Exception e) {
                    throw new ListenException("cannot listen on " + address + " (metrics): " + e.getMessage(), e);
                }
                // Not in `listeners` (those are the TLS ones); the group's shutdown closes it.
                metricsListener = Optional.of(channel);
            }
            return new ServerNode(group, store, generated, certificate, contexts, listeners, registry, metricsListener);
        } catch (Throwable e) {
            shutdown(group, store, generated, contexts, listeners);
            throw e;
        }
    }

    /**
     * One event loop per CPU (Netty's default is two): the handlers never block, so a second loop per CPU
     * only adds hand-offs (an accepted connection registered on another loop costs an eventfd wake-up and a
     * thread switch). {@code -Dio.netty.eventLoopThreads=N} still decides when given.
     */
    static int eventLoopThreads() {
        return Integer.getInteger("io.netty.eventLoopThreads", NettyRuntime.availableProcessors());
    }

    /** The bound address of each TLS listener, in the order of {@link ServerSettings#listen()}. */
    List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** Where {@code GET /metrics} is served, if {@code --metrics-listen} was given. */
    Optional<InetSocketAddress> metricsAddress() {
        return metricsAddress;
    }

    /** The meters of this node (lookups, hits, misses, rejections, store errors, latency). */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The PEM certificate chain the listeners present (a generated one lives until {@link #close()}). */
    java.nio.file.Path certificateFile() {
        return certificate.certificate();
    }

    /** Blocks until {@link #close()} has finished. */
    void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            log.info("shutting down");
            try {
                shutdown(group, store, generated, contexts, listeners);
            } finally {
                terminated.countDown();
            }
        } else {
            try {
                terminated.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops listening, lets the event loops finish (bounded), then releases contexts, store and files. */
    private static void shutdown(EventLoopGroup group, SessionStore store, GeneratedCertificate generated,
                                 List<ListenerTls> contexts, List<Channel> listeners) {
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        for (ListenerTls context : contexts) {
            try {
                context.close();
            } catch (RuntimeException e) {
                log.warn("closing a TLS context failed: {}", e.toString());
            }
        }
        if (store != null) {
            try {
                store.close();
            } catch (Exception e) {
                log.warn("closing the session store failed: {}", e.toString());
            }
        }
        if (generated != null) {
            generated.close();
        }
    }

    /** A listener could not be bound (address in use, no such interface, ...). */
    static final class ListenException extends Exception {
        ListenException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
