package io.tlssessioncache.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.tlssessioncache.core.InvalidRecordException;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in Redis (standalone, Sentinel or Cluster) through Lettuce's asynchronous API with
 * {@code ByteArrayCodec}: a store that only stores, behind the near-cache that
 * {@link RedisSessionStores} puts in front of it (which judges expiry and revocation, applies the
 * lookup deadline and the retry of a miss, fails open and reports every metric).
 *
 * <p><b>Commands.</b> One string key per session ({@link KeyLayout}), whose value is the record
 * sealed by {@link SealedRecordCodec} (AES-GCM, bound to the key): {@link #put} is
 * {@code SET key value PX <remaining ms>} (so Redis drops it when it expires) and completes with
 * Redis' reply; {@link #get} is {@code GET}, {@link #take} is {@code GETDEL} (atomic: of any number
 * of concurrent takes across the fleet one wins), {@link #remove} is {@code DEL}. Every remove,
 * and a take of a TLS 1.2 key that deleted something, announce the key on the invalidation channel,
 * on Redis' answer (even after the caller stopped waiting: other near-caches' copies are stale
 * either way). A take of a TLS 1.3 key (a ticket: the only keys the engine takes) announces
 * nothing: no near-cache keeps TLS 1.3 records ({@link NearCacheSessionStore#keepsLocally}),
 * so there is no copy to drop, and announcing would cost every server of the fleet a message for
 * every TLS 1.3 resumption anywhere.
 *
 * <p><b>Answers.</b> A value that does not open (tampered, truncated, sealed under a key this
 * process does not have) fails the stage with {@link InvalidRecordException}; {@link #get} does not
 * delete it: during a key rotation a server that has not yet learned the new key would otherwise
 * destroy sessions its peers can resume, and the entry goes with its own {@code PX}. A command that
 * fails or times out (Lettuce's command timeout) fails the stage.
 *
 * <p><b>Circuit breakers</b>, one per shard ({@link ShardBreakers}: per cluster master). After
 * consecutive failures on a shard (including lookups the near-cache gave up on at its deadline: it
 * completes the stage with a {@code TimeoutException}) its breaker opens: every call on that
 * shard's keys then fails at once with {@link RejectedExecutionException} (sending nothing), until
 * one probe per cool-down finds it back; the other masters' keys go on as before. A lookup
 * cancelled by its caller is no verdict on Redis.
 *
 * <p><b>Cancellation.</b> Cancelling a returned future cancels Lettuce's command: one not yet
 * written to the connection is never sent. (One already written is answered and the answer
 * dropped; a take's announcement with it. Only TLS 1.3 tickets are taken, and no near-cache ever
 * answers a take from its copy.)
 *
 * <p><b>Threads.</b> Stages complete on a Lettuce I/O thread (or the JDK's timeout thread after a
 * deadline); continuations must be short or hop to their own executor.
 */
final class RedisSessionStore implements SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);

    private final RedisClusterAsyncCommands<byte[], byte[]> commands;
    private final SealedRecordCodec codec;
    private final KeyLayout layout;
    private final Clock clock;
    private final ShardBreakers breakers;
    private final InvalidationPublisher publisher;
    private final AutoCloseable resources;

    RedisSessionStore(RedisClusterAsyncCommands<byte[], byte[]> commands, SealedRecordCodec codec,
            InvalidationPublisher publisher, RedisStoreOptions options, ShardBreakers breakers, AutoCloseable resources) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.layout = publisher.layout();
        this.clock = options.clock();
        this.breakers = Objects.requireNonNull(breakers, "breakers");
        this.resources = resources;
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        Objects.requireNonNull(record, "record");
        long ttl = record.expiresAt().toEpochMilli() - clock.millis();
        if (ttl <= 0) {
            return CompletableFuture.completedFuture(null); // already expired: nothing to store (PX must be > 0)
        }
        byte[] key = layout.key(record.key());
        byte[] blob = codec.encode(record);
        return send(key, () -> commands.set(key, blob, SetArgs.Builder.px(ttl)), ok -> null);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        byte[] redisKey = layout.key(key);
        return send(redisKey, () -> commands.get(redisKey), blob -> open(key, blob));
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        byte[] redisKey = layout.key(key);
        // No near-cache holds a copy of a key it does not keep: nothing to announce.
        return send(redisKey, () -> NearCacheSessionStore.keepsLocally(key)
                ? announcing(key, commands.getdel(redisKey), blob -> blob != null)
                : commands.getdel(redisKey), blob -> open(key, blob));
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        byte[] redisKey = layout.key(key);
        // Always announce: a near-cache may hold a copy Redis has already lost (eviction).
        return send(redisKey, () -> announcing(key, commands.del(redisKey), n -> true), n -> n != null && n > 0);
    }

    private Optional<SessionRecord> open(SessionKey key, byte[] blob) {
        return blob == null ? Optional.empty() : Optional.of(codec.decode(key, blob)); // InvalidRecordException: the caller counts it
    }

    /** Announces {@code key} on Redis' answer when {@code deleted} says the command removed something. */
    private <T> RedisFuture<T> announcing(SessionKey key, RedisFuture<T> command, Predicate<T> deleted) {
        command.thenAccept(answer -> {
            if (deleted.test(answer)) {
                publisher.publishKey(key);
            }
        });
        return command;
    }

    /**
     * Sends a command unless the breaker of {@code key}'s shard is open, as a fresh future:
     * cancelling it cancels the command; its outcome (not a cancellation) is that breaker's verdict.
     */
    private <T, R> CompletableFuture<R> send(byte[] key, Supplier<RedisFuture<T>> command, Function<T, R> answer) {
        CircuitBreaker breaker = breakers.forKey(key);
        if (!breaker.tryAcquire()) {
            return CompletableFuture.failedFuture(new RejectedExecutionException("Redis circuit breaker is open"));
        }
        RedisFuture<T> sent;
        try {
            sent = command.get();
        } catch (RuntimeException e) {
            failed(breaker, e);
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<R> out = sent.toCompletableFuture().thenApply(answer);
        out.whenComplete((v, e) -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause == null || cause instanceof InvalidRecordException) {
                breaker.onSuccess(); // Redis answered (a value that does not open is not Redis' fault)
            } else if (cause instanceof CancellationException) {
                sent.cancel(false); // the caller left: a command not yet written is not sent
            } else {
                failed(breaker, cause);
            }
        });
        return out;
    }

    private static void failed(CircuitBreaker breaker, Throwable e) {
        breaker.onFailure();
        // The exception text is Lettuce's (no values); the breaker keeps this from flooding logs.
        LOG.trace("redis command failed: {}", e.toString());
    }

    /** Whether no shard's circuit breaker is open (false while Redis, or one of its masters, is considered down). */
    boolean isAvailable() {
        return breakers.noneOpen();
    }

    /** Closes the pub/sub subscriber, the connections and the Lettuce client this store owns. */
    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            LOG.warn("closing the Redis client failed: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        return "RedisSessionStore[prefix=" + layout.prefix() + ", " + breakers + "]";
    }
}
