package io.tlssessioncache.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.RevocationWatermarks;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SealingKeyRing;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: a Redis URI and options in, a coherent near-cache over Redis out.
 *
 * <p>URIs:
 * <ul>
 *   <li>{@code redis://[user:password@]host[:port][/db]} and {@code rediss://...} (TLS): one server;
 *       {@code redis-socket:///path/to/socket}: one server on a Unix socket;</li>
 *   <li>{@code redis-sentinel://[user:password@]host[:port][,host[:port]...][/db]?sentinelMasterId=NAME}
 *       (and {@code rediss-sentinel://}): Lettuce's Sentinel form;</li>
 *   <li>{@code redis-cluster://[user:password@]host:port[,host:port...]} and
 *       {@code rediss-cluster://...}: seed nodes of a Redis Cluster (this project's form).</li>
 * </ul>
 * Credentials in the URI are Redis ACL user and password (or just a password: {@code :password@}).
 * Error messages never repeat the URI as given (it may hold a password even where it does not
 * parse); {@link #redact} is the form to print.
 */
public final class RedisSessionStores {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStores.class);

    private RedisSessionStores() {
    }

    /**
     * Connects to Redis, subscribes to the invalidation channel and loads the revocation
     * watermarks (waiting at most a few seconds), and returns the near-cache over it; closing it
     * closes everything.
     *
     * @throws IllegalArgumentException for a URI this method does not accept
     * @throws IllegalStateException if Redis cannot be reached now (the message names the host, never the password)
     */
    public static NearCacheSessionStore create(String uri, RedisStoreOptions options) {
        return open(uri, options).store();
    }

    /** The URI in a form safe to log and print: rebuilt from what parses, credentials shown as {@code ***}. */
    public static String redact(String uri) {
        return RedisUris.redact(uri);
    }

    /** {@link #create}, returning the parts too. */
    static RedisNearCache open(String uri, RedisStoreOptions options) {
        RedisUris.Target target = RedisUris.parse(uri);
        SealingKeyRing ring = options.keyRing();
        if (ring == null) {
            ring = SealingKeyRing.generate();
            LOG.warn("no sealing key ring configured: generated one for this process only; sessions stored in Redis"
                    + " will not resume on other servers or after a restart unless all share a key file");
        }
        ClientResources.Builder resourcesBuilder = ClientResources.builder()
                // Resumption must come back within about a second of Redis returning.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(20), options.maxReconnectDelay(), 2,
                        TimeUnit.MILLISECONDS));
        if (options.eventLoopGroup() != null) {
            resourcesBuilder.eventLoopGroupProvider(new SharedEventLoopGroupProvider(options.eventLoopGroup()));
        }
        ClientResources resources = resourcesBuilder.build();
        Deque<AutoCloseable> closeables = new ArrayDeque<>();
        closeables.push(() -> resources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS));
        try {
            RedisClusterAsyncCommands<byte[], byte[]> commands;
            StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
            ShardBreakers breakers;
            if (target.cluster()) {
                RedisClusterClient client = RedisClusterClient.create(resources, target.uris());
                closeables.push(() -> client.shutdown(0, 2, TimeUnit.SECONDS));
                client.setOptions(clusterOptions(options));
                StatefulRedisClusterConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE);
                closeables.push(conn);
                commands = conn.async();
                breakers = ShardBreakers.perMaster(options, conn);
                // Lettuce opens node connections lazily, and with REJECT_COMMANDS the first commands to a
                // node that is still connecting fail: open them now, and again when the topology changes.
                warmUp(client, conn).get(options.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                reactor.core.Disposable topologyWatch = resources.eventBus().get()
                        .filter(ev -> ev instanceof ClusterTopologyChangedEvent)
                        .subscribe(ev -> warmUp(client, conn));
                closeables.push(topologyWatch::dispose);
                // One subscription on any node is enough: a cluster PUBLISH reaches every node's
                // subscribers. On reconnect Lettuce picks a node from the current topology.
                pubSub = client.connectPubSub(ByteArrayCodec.INSTANCE);
                closeables.push(pubSub);
            } else {
                RedisURI redisUri = target.uris().getFirst();
                RedisClient client = RedisClient.create(resources);
                closeables.push(() -> client.shutdown(0, 2, TimeUnit.SECONDS));
                client.setOptions(clientOptions(options));
                StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE, redisUri);
                closeables.push(conn);
                commands = conn.async();
                breakers = ShardBreakers.single(options);
                pubSub = client.connectPubSub(ByteArrayCodec.INSTANCE, redisUri);
                closeables.push(pubSub);
            }
            RevocationWatermarks watermarks = new RevocationWatermarks();
            InvalidationPublisher publisher = new InvalidationPublisher(commands, new KeyLayout(options.keyPrefix()));
            InvalidationSubscriber subscriber = new InvalidationSubscriber(publisher);
            closeables.push(subscriber);
            List<AutoCloseable> toClose = new ArrayList<>(closeables);
            RedisSessionStore remote = new RedisSessionStore(commands, new SealedRecordCodec(ring), publisher, options,
                    breakers, () -> closeAll(toClose));
            NearCacheSessionStore.Builder near = NearCacheSessionStore.builder(remote)
                    .maximumSize(options.nearCacheMaximumSize())
                    .maximumLocalLifetime(options.nearCacheLocalLifetime())
                    .lookupDeadline(options.lookupDeadline())
                    .missRetryDelay(options.missRetryDelay())
                    .ticker(options.ticker())
                    .clock(options.clock())
                    .revocations(watermarks)
                    .metrics(options.metrics());
            NearCacheSessionStore store = near.build();
            subscriber.subscribe(pubSub, store, watermarks, options.connectTimeout().plusSeconds(3));
            LOG.info("session store: Redis {} ({}), prefix {}, key ring {}", redact(uri),
                    target.cluster() ? "cluster" : "standalone/sentinel", options.keyPrefix(), ring);
            return new RedisNearCache(store, remote, publisher, subscriber);
        } catch (RuntimeException | ExecutionException | TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            closeAll(new ArrayList<>(closeables));
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalStateException("cannot use Redis at " + redact(uri) + ": " + RedisUris.describe(e), e);
        }
    }

    private static CompletableFuture<Void> warmUp(RedisClusterClient client,
            StatefulRedisClusterConnection<byte[], byte[]> conn) {
        List<CompletableFuture<?>> connecting = new ArrayList<>();
        for (RedisClusterNode n : client.getPartitions()) {
            if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL)) {
                connecting.add(conn.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort(), ConnectionIntent.WRITE)
                        .exceptionally(e -> null)); // an unreachable node is the breaker's business
            }
        }
        return CompletableFuture.allOf(connecting.toArray(CompletableFuture[]::new));
    }

    private static ClientOptions clientOptions(RedisStoreOptions o) {
        ClientOptions.Builder b = ClientOptions.builder();
        common(b, o);
        return b.build();
    }

    /** What standalone and cluster connections share (Lettuce's builders change themselves and return this). */
    private static void common(ClientOptions.Builder b, RedisStoreOptions o) {
        if (o.sslOptions() != null) {
            b.sslOptions(o.sslOptions());
        }
        b.autoReconnect(true)
                // Fail at once while disconnected instead of queueing: a lookup then misses at once.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(o.requestQueueSize())
                .timeoutOptions(TimeoutOptions.enabled(o.commandTimeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(o.connectTimeout()).keepAlive(true).build());
    }

    private static ClusterClientOptions clusterOptions(RedisStoreOptions o) {
        ClusterClientOptions.Builder b = ClusterClientOptions.builder();
        common(b, o);
        return b
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(Duration.ofSeconds(10))
                        // MOVED, persistent reconnects, ...: a failover is noticed within about a second.
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                        .refreshTriggersReconnectAttempts(3)
                        .build())
                // Don't route to nodes the cluster itself marks as failed.
                .nodeFilter(n -> !n.is(RedisClusterNode.NodeFlag.FAIL) && !n.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)
                        && !n.is(RedisClusterNode.NodeFlag.NOADDR))
                .build();
    }

    private static void closeAll(List<AutoCloseable> closeables) {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("close failed: {}", e.toString());
            }
        }
    }
}
