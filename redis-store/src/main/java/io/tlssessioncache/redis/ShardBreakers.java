package io.tlssessioncache.redis;

import com.github.benmanes.caffeine.cache.Ticker;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One {@link CircuitBreaker} per shard: per Redis Cluster master (by node id), one for a
 * standalone or Sentinel server. So a failing master makes only its own slots miss at once, while
 * the other masters keep resuming sessions.
 *
 * <p>A key's shard is the master that owns its slot in Lettuce's current topology; after a
 * failover the promoted replica is a new node id, so it starts with a closed breaker. Bounded: ids
 * only come from the topology, and should failovers ever leave more than {@value #MAX_SHARDS}
 * breakers behind, the map starts over (every breaker closed, re-opened by 5 failures).
 */
final class ShardBreakers {
    static final int MAX_SHARDS = 1024;
    private static final String SINGLE = "server";
    private static final String NO_MASTER = "no-master"; // a slot the topology currently gives no master

    private final Ticker ticker;
    private final int threshold;
    private final Duration openDuration;
    private final Function<byte[], String> shardOf;
    private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    ShardBreakers(RedisStoreOptions options, Function<byte[], String> shardOf) {
        this.ticker = options.ticker();
        this.threshold = options.breakerFailureThreshold();
        this.openDuration = options.breakerOpenDuration();
        this.shardOf = shardOf;
    }

    /** One breaker for the one server (standalone, or the master Sentinel names). */
    static ShardBreakers single(RedisStoreOptions options) {
        return new ShardBreakers(options, key -> SINGLE);
    }

    /** One breaker per master of {@code connection}'s current topology. */
    static ShardBreakers perMaster(RedisStoreOptions options, StatefulRedisClusterConnection<?, ?> connection) {
        return new ShardBreakers(options, key -> {
            RedisClusterNode master = connection.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
            return master == null ? NO_MASTER : master.getNodeId();
        });
    }

    /** The breaker the command on {@code key} answers to. */
    CircuitBreaker forKey(byte[] key) {
        String shard = shardOf.apply(key);
        CircuitBreaker b = breakers.get(shard);
        if (b != null) {
            return b;
        }
        if (breakers.size() >= MAX_SHARDS) {
            breakers.clear();
        }
        return breakers.computeIfAbsent(shard, s -> new CircuitBreaker(ticker, threshold, openDuration));
    }

    /** Whether no shard's breaker is open. */
    boolean noneOpen() {
        for (CircuitBreaker b : breakers.values()) {
            if (b.state() == CircuitBreaker.State.OPEN) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return breakers.size();
    }

    @Override
    public String toString() {
        return "breakers=" + breakers.values();
    }
}
