package io.tlssessioncache.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.RevocationWatermarks;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * message arrives (measured p50/p99 in {@code docs/redis-notes.md}, well under 100 ms).
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
 * <p><b>Messages</b> (UTF-8): {@code k <64 hex id> <namespace>}, {@code r <Revocation.encode()>},
 * {@code a}. Anything else is ignored: the channel is as trusted as Redis itself (whoever can
 * publish can also delete), but a malformed message only costs a log line at debug level.
 */
public final class RedisInvalidations implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisInvalidations.class);

    // Keeps the later watermark: a revocation is never lowered by an older or concurrent one.
    private static final String MAX_SCRIPT = """
            local cur = redis.call('HGET', KEYS[1], ARGV[1])
            if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
              redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
              return 1
            end
            return 0
            """;

    private final RedisClusterAsyncCommands<byte[], byte[]> commands;
    private final byte[] channel;
    private final byte[] revocationsKey;
    private final String prefix;

    private StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
    private NearCacheSessionStore nearCache;
    private RevocationWatermarks watermarks;
    private final AtomicLong subscribedEvents = new AtomicLong();
    private final AtomicLong connectedEvents = new AtomicLong();
    private final AtomicLong ownResubscribes = new AtomicLong();
    private final CompletableFuture<Void> firstSubscription = new CompletableFuture<>();
    private volatile boolean closed;

    RedisInvalidations(RedisClusterAsyncCommands<byte[], byte[]> commands, String prefix) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.prefix = prefix;
        this.channel = channelName(prefix).getBytes(StandardCharsets.UTF_8);
        this.revocationsKey = (prefix + ":revocations").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code <prefix>:invalidate}. */
    public static String channelName(String prefix) {
        return prefix + ":invalidate";
    }

    /** {@code <prefix>:revocations}. */
    public static String revocationsKeyName(String prefix) {
        return prefix + ":revocations";
    }

    // ---------------------------------------------------------------- publishing (any process)

    /** Tells every server to drop {@code key} from its near-cache. Completes when Redis accepted it. */
    public CompletionStage<Void> publishKey(SessionKey key) {
        return publish("k " + key.id().toHex() + " " + key.namespace());
    }

    /** Tells every server to drop its whole near-cache (e.g. after an operator deleted entries in bulk). */
    public CompletionStage<Void> publishAll() {
        return publish("a");
    }

    /**
     * Records {@code r} in {@code <prefix>:revocations} (keeping the later watermark per scope and
     * value) and publishes it, so every server applies it at once and every server that starts or
     * reconnects later loads it.
     */
    public CompletionStage<Void> publishRevocation(Revocation r) {
        Objects.requireNonNull(r, "r");
        long millis = ceilMillis(r.createdBefore());
        byte[] field = (r.scope().name() + " " + r.value()).getBytes(StandardCharsets.UTF_8);
        return commands.<Long>eval(MAX_SCRIPT, ScriptOutputType.INTEGER, new byte[][] {revocationsKey},
                        field, Long.toString(millis).getBytes(StandardCharsets.UTF_8))
                .thenCompose(changed -> publish("r " + r.encode()));
    }

    /** The watermarks stored in Redis. Unparseable fields are skipped (and logged). */
    public CompletionStage<List<Revocation>> loadRevocations() {
        return commands.hgetall(revocationsKey).thenApply(RedisInvalidations::parseRevocations);
    }

    private CompletionStage<Void> publish(String message) {
        return commands.publish(channel, message.getBytes(StandardCharsets.UTF_8)).thenApply(n -> null);
    }

    // ---------------------------------------------------------------- subscribing (servers)

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
            throw new IllegalStateException("no subscription to " + channelName(prefix) + " (or no revocation"
                    + " watermarks loaded from " + revocationsKeyName(prefix) + ") within " + wait + ": "
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
                    LOG.info("re-subscribing to {} after a reconnect", channelName(prefix));
                    ownResubscribes.incrementAndGet();
                    pubSub.async().subscribe(channel);
                }
            });
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (!closed) {
                LOG.info("invalidation channel {} disconnected; the near-cache is cleared when it is back",
                        channelName(prefix));
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
        loadRevocations().whenComplete((list, e) -> {
            if (e == null) {
                for (Revocation r : list) {
                    applyWatermark(r);
                }
                if (generation == 1) {
                    LOG.debug("subscribed to {}, {} revocation watermarks loaded", channelName(prefix), list.size());
                }
                firstSubscription.complete(null);
            } else if (!closed && attempt < 30) {
                LOG.debug("loading revocations failed ({}); retrying", e.toString());
                CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> reload(generation, attempt + 1));
            } else if (!closed) {
                LOG.warn("could not load revocation watermarks from {}: {}", revocationsKeyName(prefix), e.toString());
            }
        });
    }

    private void onMessage(byte[] raw) {
        try {
            String m = new String(raw, StandardCharsets.UTF_8);
            if (m.startsWith("k ") && m.length() > 2 + 64 + 1 && m.charAt(66) == ' ') {
                nearCache.invalidate(new SessionKey(m.substring(67), SessionId.fromHex(m.substring(2, 66))));
            } else if (m.startsWith("r ")) {
                applyWatermark(Revocation.decode(m.substring(2)));
            } else if (m.equals("a")) {
                nearCache.invalidateAll();
            } else {
                LOG.debug("ignored an unknown message on {}", channelName(prefix));
            }
        } catch (RuntimeException e) {
            LOG.debug("ignored a malformed message on {}: {}", channelName(prefix), e.getMessage());
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

    private static List<Revocation> parseRevocations(Map<byte[], byte[]> hash) {
        List<Revocation> out = new ArrayList<>(hash.size());
        for (Map.Entry<byte[], byte[]> e : hash.entrySet()) {
            try {
                String field = new String(e.getKey(), StandardCharsets.UTF_8);
                int sp = field.indexOf(' ');
                Revocation.Scope scope = Revocation.Scope.valueOf(field.substring(0, sp));
                long millis = Long.parseLong(new String(e.getValue(), StandardCharsets.UTF_8));
                out.add(new Revocation(scope, field.substring(sp + 1), Instant.ofEpochMilli(millis)));
            } catch (RuntimeException bad) {
                LOG.warn("skipped an unparseable revocation watermark: {}", bad.getMessage());
            }
        }
        return out;
    }

    // Records have millisecond precision; rounding up keeps every record the watermark covered covered.
    private static long ceilMillis(Instant t) {
        long ms = t.toEpochMilli();
        return Instant.ofEpochMilli(ms).equals(t) ? ms : ms + 1;
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
        return "RedisInvalidations[" + channelName(prefix) + ", subscriptions=" + subscribedEvents.get() + "]";
    }
}
