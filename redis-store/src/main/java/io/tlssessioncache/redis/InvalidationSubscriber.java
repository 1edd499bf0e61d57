package io.tlssessioncache.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.RevocationWatermarks;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every server's near-cache coherent with Redis, and carries revocations across the fleet.
 *
 * <p><b>Mechanism: one pub/sub channel, {@code <prefix>:invalidate}.</b> A take or remove that
 * deleted an entry publishes its key; an operator publishes revocation watermarks or "drop all".
 * Every server subscribes and drops the key from its near-cache (or applies the watermark) as the
 * message arrives (measured p50/p99 in {@code docs/guide/architecture.md}, "Near-cache invalidation"; well under 100 ms).
 * Expiry needs no message: the near-cache enforces each entry's own expiry.
 * Pub/sub was chosen over {@code CLIENT TRACKING} (Lettuce's client-side caching) because on a
 * Cluster a plain {@code PUBLISH} reaches the subscribers of every node with one subscription on
 * any node (tracking needs a push listener per node connection), it works with
 * {@code ByteArrayCodec} (Lettuce's tracking helpers do not), it also carries revocations and
 * "drop all", and it does not get lost silently on reconnect (tracking must be re-enabled by hand).
 *
 * <p><b>Reconnects.</b> While the subscription is down, messages are lost. So whenever the channel
 * is (re)subscribed (Lettuce re-subscribes by itself after a reconnect; if it has not within a
 * second of the reconnect, this class subscribes again), the near-cache is cleared and the
 * watermarks are reloaded from Redis. The subscribe confirmation is the signal, not the TCP
 * reconnect, so nothing cached before the subscription is live survives it.
 *
 * <p><b>Revocations</b> are kept in the hash {@code <prefix>:revocations} (field
 * {@code "<SCOPE> <value>"}, value {@code createdBefore} in epoch milliseconds, rounded up; a Lua
 * script keeps the maximum atomically; one key, so fine on a Cluster), loaded at start and on every
 * resubscribe, and published so every server applies them at once.
 *
 * <p><b>Messages</b> are encoded and parsed by {@link InvalidationPublisher}, the publishing half
 * (one key, a watermark, or everything). Anything else is ignored: the channel is as trusted as
 * Redis itself (whoever can publish can also delete), but a malformed message only costs a log line
 * at debug level.
 */
final class InvalidationSubscriber implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InvalidationSubscriber.class);

    private final InvalidationPublisher publisher;
    private final byte[] channel;
    private final String channelName;
    private final String revocationsKey;

    private StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
    private NearCacheSessionStore nearCache;
    private RevocationWatermarks watermarks;
    private final AtomicLong subscribedEvents = new AtomicLong();
    private final AtomicLong connectedEvents = new AtomicLong();
    private final AtomicLong ownResubscribes = new AtomicLong();
    private final CompletableFuture<Void> firstSubscription = new CompletableFuture<>();
    private volatile boolean closed;

    InvalidationSubscriber(InvalidationPublisher publisher) {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.channelName = publisher.layout().channel();
        this.revocationsKey = publisher.layout().revocationsKey();
        this.channel = channelName.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Subscribes {@code connection} to the channel, applying what arrives to {@code near} and
     * {@code revocations}; waits (at most {@code wait}) for the first subscription and watermark
     * load, and throws if they do not happen in time.
     */
    void subscribe(StatefulRedisPubSubConnection<byte[], byte[]> connection, NearCacheSessionStore near,
            RevocationWatermarks revocations, Duration wait) {
        this.pubSub = connection;
        this.nearCache = near;
        this.watermarks = revocations;
        connection.addListener(new Listener());
        connection.addListener(new ReconnectWatch());
        connection.async().subscribe(channel);
        try {
            firstSubscription.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("no subscription to " + channelName + " (or no revocation"
                    + " watermarks loaded from " + revocationsKey + ") within " + wait + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    private final class Listener extends RedisPubSubAdapter<byte[], byte[]> {
        @Override
        public void subscribed(byte[] ch, long count) {
            if (Arrays.equals(ch, channel)) {
                onSubscribed();
            }
        }

        @Override
        public void message(byte[] ch, byte[] message) {
            if (Arrays.equals(ch, channel)) {
                onMessage(message);
            }
        }
    }

    /** Re-subscribes if Lettuce did not do it within a second of a reconnect (belt and braces). */
    private final class ReconnectWatch implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress socketAddress) {
            long connectedAt = connectedEvents.incrementAndGet();
            long subscribedBefore = subscribedEvents.get();
            if (connectedAt == 1) {
                return; // the initial connect: subscribe() handles it
            }
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> {
                if (!closed && subscribedEvents.get() == subscribedBefore && pubSub.isOpen()) {
                    LOG.info("re-subscribing to {} after a reconnect", channelName);
                    ownResubscribes.incrementAndGet();
                    pubSub.async().subscribe(channel);
                }
            });
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (!closed) {
                LOG.info("invalidation channel {} disconnected; the near-cache is cleared when it is back",
                        channelName);
            }
        }
    }

    private void onSubscribed() {
        long n = subscribedEvents.incrementAndGet();
        // Messages published while we were not subscribed are lost: forget everything cached.
        nearCache.invalidateAll();
        reload(n, 0);
    }

    private void reload(long generation, int attempt) {
        publisher.loadRevocations().whenComplete((list, e) -> {
            if (e == null) {
                for (Revocation r : list) {
                    applyWatermark(r);
                }
                if (generation == 1) {
                    LOG.debug("subscribed to {}, {} revocation watermarks loaded", channelName, list.size());
                }
                firstSubscription.complete(null);
            } else if (!closed && attempt < 30) {
                LOG.debug("loading revocations failed ({}); retrying", e.toString());
                CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> reload(generation, attempt + 1));
            } else if (!closed) {
                LOG.warn("could not load revocation watermarks from {}: {}", revocationsKey, e.toString());
            }
        });
    }

    private void onMessage(byte[] raw) {
        try {
            switch (InvalidationPublisher.parse(publisher.layout(), raw)) {
                case InvalidationPublisher.Message.Key k -> nearCache.invalidate(k.key());
                case InvalidationPublisher.Message.Revoke r -> applyWatermark(r.revocation());
                case InvalidationPublisher.Message.All a -> nearCache.invalidateAll();
                case null -> LOG.debug("ignored an unknown message on {}", channelName);
            }
        } catch (RuntimeException e) {
            LOG.debug("ignored a malformed message on {}: {}", channelName, e.getMessage());
        }
    }

    private void applyWatermark(Revocation r) {
        try {
            watermarks.apply(r);
        } catch (IllegalStateException full) {
            // Refusing is what RevocationWatermarks does when full; make the operator see it.
            LOG.error("revocation not applied: {}", full.getMessage());
        }
    }

    /** How many times the channel was (re)subscribed: 1 after start, +1 per reconnect. */
    long subscriptions() {
        return subscribedEvents.get();
    }

    /** How many times this class had to re-subscribe itself because Lettuce had not (tests expect 0). */
    long ownResubscribes() {
        return ownResubscribes.get();
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "InvalidationSubscriber[" + channelName + ", subscriptions=" + subscribedEvents.get() + "]";
    }
}
