package io.tlssessioncache.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.lang.management.ManagementFactory;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code max} open connections over all the listeners it is installed on (as the server
 * channel's handler, so it sees each accepted connection before anything is set up for it). One
 * more is closed at once with a TCP reset: no TLS, no pipeline, no event-loop registration, and no
 * TIME_WAIT on our side. Running out of file descriptors instead would make every accept fail
 * (and Netty log each failure) for everyone, normal clients included.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    /** File descriptors left for everything that is not a client connection: Redis, logs, jars, epoll, metrics. */
    static final int FD_RESERVE = 128;

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final Counter refused;
    private final PeerErrors peerErrors;

    /** {@code listener} tags the meters ("https", "metrics"); {@code peerErrors} (may be null) gets refusals for its summary. */
    ConnectionLimiter(int max, MeterRegistry registry, PeerErrors peerErrors, String listener) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1");
        }
        this.max = max;
        this.peerErrors = peerErrors;
        this.refused = Counter.builder("tls.session.cache.connections.refused")
                .description("Connections closed at accept because the limit of open connections was reached")
                .tag("listener", listener).register(registry);
        Gauge.builder("tls.session.cache.connections.open", open, AtomicInteger::get)
                .description("Open client connections").tag("listener", listener).register(registry);
        Gauge.builder("tls.session.cache.connections.max", () -> this.max)
                .description("Limit of open client connections").tag("listener", listener).register(registry);
    }

    /**
     * The default limit: 90% of this process's file-descriptor limit (RLIMIT_NOFILE, as the JVM
     * raised it) less {@link #FD_RESERVE}, at least 16; empty when the platform does not say.
     */
    static OptionalLong defaultMax() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long limit = unix.getMaxFileDescriptorCount();
            if (limit > 0) {
                return OptionalLong.of(Math.max(16, Math.min(Integer.MAX_VALUE, limit * 9 / 10 - FD_RESERVE)));
            }
        }
        return OptionalLong.empty();
    }

    int max() {
        return max;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            refused.increment();
            if (peerErrors != null) {
                peerErrors.refused();
            }
            try {
                child.config().setOption(ChannelOption.SO_LINGER, 0); // RST: no TIME_WAIT for a refused socket
            } catch (RuntimeException ignored) {
                // closing is what matters
            }
            // not registered with an event loop yet: closed right here, as Netty's acceptor does on failure
            child.unsafe().closeForcibly();
            return;
        }
        child.closeFuture().addListener(f -> open.decrementAndGet());
        ctx.fireChannelRead(child);
    }
}
