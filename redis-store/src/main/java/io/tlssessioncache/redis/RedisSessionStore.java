package io.tlssessioncache.redis;

import com.github.benmanes.caffeine.cache.Ticker;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.tlssessioncache.core.InvalidRecordException;
import io.tlssessioncache.core.RevocationWatermarks;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link io.tlssessioncache.core.SessionStore} in Redis (standalone, Sentinel or Cluster) through
 * Lettuce's asynchronous API with {@code ByteArrayCodec}. Made by {@link RedisSessionStores}.
 *
 * <p><b>Layout.</b> One string key per session, {@code <prefix>:<namespace>:<64 hex id>}, whose
 * value is the record sealed by {@link SealedRecordCodec} (AES-GCM, bound to that namespace and
 * id), written with {@code SET key value PX <remaining ms>} so Redis drops it when it expires.
 * {@link #get} is {@code GET}, {@link #take} is {@code GETDEL} (atomic: of any number of concurrent
 * takes across the fleet one wins), {@link #remove} is {@code DEL}.
 *
 * <p><b>Fail-open: stages never fail.</b> Unlike the general {@code SessionStore} contract (which
 * allows an exceptional stage for a store failure), this store completes every stage normally:
 * a lookup that fails or does not answer within the lookup deadline completes with
 * {@code Optional.empty()} (a full handshake) and counts {@link SessionCacheMetrics#storeError};
 * a failed write completes normally and counts {@code storeError} and
 * {@link SessionCacheMetrics#droppedWrite}. Callers (the near-cache, the Netty handler) need
 * nothing special, and no Redis exception reaches a connection. A circuit breaker opens after
 * consecutive failures: while open, lookups miss at once and writes are dropped (counted
 * {@code droppedWrite}); one probe per cool-down tests whether Redis is back.
 *
 * <p><b>Untrusted values.</b> A value that does not open (tampered, truncated, sealed under a key
 * this process does not have, or for another key) is a miss counted {@code rejected("tampered")}.
 * {@link #get} deliberately does <em>not</em> delete it: during a key rotation a server that has
 * not yet learned the new key would otherwise destroy sessions its peers can resume; the entry
 * goes away with its own {@code PX} anyway. ({@link #take} removed it already.) Records past their
 * expiry or covered by a revocation watermark are misses counted {@code rejected("expired")} /
 * {@code rejected("revoked")}.
 *
 * <p><b>One retry of a miss.</b> Servers store sessions asynchronously, so a client that reconnects
 * at once to another server can be looked up before the first server's {@code SET} reached Redis.
 * A {@code GET}/{@code GETDEL} that answers nil is therefore sent once more after
 * {@link RedisStoreOptions#missRetryDelay()}, when the deadline leaves room for it (the first answer's
 * round trip again, plus the delay), and counted {@link SessionCacheMetrics#lookupRetried}. Only
 * a nil is retried, never an error or a value that does not open.
 *
 * <p><b>Threads.</b> Stages complete on a Lettuce I/O thread (or the JDK's timeout thread after a
 * deadline); continuations must be short or hop to their own executor (the Netty handler runs them
 * on its channel's event loop).
 */
public final class RedisSessionStore implements io.tlssessioncache.core.SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);

    private final RedisClusterAsyncCommands<byte[], byte[]> commands;
    private final SealedRecordCodec codec;
    private final String keyPrefix;
    private final Clock clock;
    private final long deadlineNanos;
    private final long missRetryNanos;
    private final Ticker ticker;
    private final SessionCacheMetrics metrics;
    private final CircuitBreaker breaker;
    private final RevocationWatermarks revocations;
    private volatile RedisInvalidations invalidations;
    private final AutoCloseable resources;

    RedisSessionStore(RedisClusterAsyncCommands<byte[], byte[]> commands, SealedRecordCodec codec,
            RedisStoreOptions options, RevocationWatermarks revocations, AutoCloseable resources) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.keyPrefix = options.keyPrefix();
        this.clock = options.clock();
        this.deadlineNanos = options.lookupDeadline().toNanos();
        this.missRetryNanos = options.missRetryDelay().toNanos();
        this.ticker = options.ticker();
        this.metrics = options.metrics();
        this.breaker = new CircuitBreaker(options.ticker(), options.breakerFailureThreshold(),
                options.breakerOpenDuration());
        this.revocations = revocations;
        this.resources = resources;
    }

    /** Where take/remove announce the keys they deleted (set once, by {@link RedisSessionStores}). */
    void invalidations(RedisInvalidations inv) {
        this.invalidations = inv;
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        Objects.requireNonNull(record, "record");
        long ttl = record.expiresAt().toEpochMilli() - clock.millis();
        if (ttl <= 0) {
            return CompletableFuture.completedFuture(null); // already expired: nothing worth storing
        }
        if (!breaker.tryAcquire()) {
            metrics.droppedWrite();
            return CompletableFuture.completedFuture(null);
        }
        byte[] blob = codec.encode(record);
        return call(() -> commands.set(redisKey(record.key()), blob, SetArgs.Builder.px(ttl)))
                .handle((ok, e) -> {
                    if (e != null) {
                        failed("put", e);
                        metrics.droppedWrite();
                    } else {
                        breaker.onSuccess();
                    }
                    return null;
                });
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        Objects.requireNonNull(key, "key");
        if (!breaker.tryAcquire()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        byte[] redisKey = redisKey(key);
        return lookup(() -> commands.get(redisKey), null)
                .handle((blob, e) -> answer("get", key, blob, e));
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        Objects.requireNonNull(key, "key");
        if (!breaker.tryAcquire()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        byte[] redisKey = redisKey(key);
        // Announce on Redis's answer, not the deadline's: a GETDEL that deleted something after the
        // caller gave up has still made other near-caches' copies stale. Only a take that deleted
        // something can have; announcing misses too would let random ids amplify into broadcasts.
        return lookup(() -> commands.getdel(redisKey), blob -> announce(key))
                .handle((blob, e) -> answer("take", key, blob, e));
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        Objects.requireNonNull(key, "key");
        if (!breaker.tryAcquire()) {
            metrics.droppedWrite();
            return CompletableFuture.completedFuture(false);
        }
        return call(() -> commands.del(redisKey(key)))
                .handle((n, e) -> {
                    if (e != null) {
                        failed("remove", e);
                        metrics.droppedWrite();
                        return false;
                    }
                    breaker.onSuccess();
                    // Always announce: a near-cache may hold a copy Redis has already lost (eviction).
                    announce(key);
                    return n != null && n > 0;
                });
    }

    private Optional<SessionRecord> answer(String op, SessionKey key, byte[] blob, Throwable e) {
        if (e != null) {
            failed(op, e);
            return Optional.empty();
        }
        breaker.onSuccess();
        if (blob == null) {
            return Optional.empty();
        }
        SessionRecord r;
        try {
            r = codec.decode(key, blob);
        } catch (InvalidRecordException bad) {
            metrics.rejected("tampered");
            LOG.debug("unusable value under {} ({}): treated as a miss", key.id(), bad.getMessage());
            return Optional.empty();
        }
        if (!r.isLiveAt(clock.instant())) {
            metrics.rejected("expired");
            return Optional.empty();
        }
        if (revocations != null && revocations.isRevoked(r)) {
            metrics.rejected("revoked");
            return Optional.empty();
        }
        return Optional.of(r);
    }

    private void failed(String op, Throwable e) {
        breaker.onFailure();
        metrics.storeError(op);
        // The exception text is Lettuce's (no values); the breaker keeps this from flooding logs.
        LOG.debug("redis {} failed: {}", op, e.toString());
    }

    private void announce(SessionKey key) {
        RedisInvalidations inv = invalidations;
        if (inv != null) {
            inv.publishKey(key);
        }
    }

    /**
     * A lookup command bounded by the deadline, sent once more after {@code missRetryNanos} if Redis
     * answered nil and the deadline leaves room (see the class comment). {@code onFound} (may be
     * null) runs on every non-nil answer from Redis, even one that comes after the deadline.
     */
    private CompletableFuture<byte[]> lookup(Supplier<CompletionStage<byte[]>> command, Consumer<byte[]> onFound) {
        long start = ticker.read();
        CompletableFuture<byte[]> first = send(command, onFound);
        if (missRetryNanos <= 0) {
            return first.orTimeout(deadlineNanos, TimeUnit.NANOSECONDS);
        }
        return first.thenCompose(blob -> {
            long elapsed = ticker.read() - start;
            // room for the delay and a second round trip as long as the first one took
            if (blob != null || 2 * elapsed + missRetryNanos >= deadlineNanos) {
                return CompletableFuture.completedFuture(blob);
            }
            // Runnable::run: the JDK's delay thread only hands the command to Lettuce, which never blocks
            return CompletableFuture.supplyAsync(() -> send(command, onFound),
                            CompletableFuture.delayedExecutor(missRetryNanos, TimeUnit.NANOSECONDS, Runnable::run))
                    .thenCompose(second -> second)
                    .whenComplete((again, e) -> {
                        if (e == null) {
                            metrics.lookupRetried(again != null);
                        }
                    });
        }).orTimeout(deadlineNanos, TimeUnit.NANOSECONDS);
    }

    private static CompletableFuture<byte[]> send(Supplier<CompletionStage<byte[]>> command, Consumer<byte[]> onFound) {
        CompletableFuture<byte[]> answer;
        try {
            answer = command.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (onFound != null) {
            answer.thenAccept(blob -> {
                if (blob != null) {
                    onFound.accept(blob);
                }
            });
        }
        return answer.thenApply(v -> v); // a fresh stage: a deadline must not complete Lettuce's command
    }

    /**
     * Runs a write (SET, DEL) as a stage bounded by Lettuce's command timeout. A command that throws
     * instead of failing is a failure too.
     */
    private static <T> CompletableFuture<T> call(Supplier<CompletionStage<T>> command) {
        try {
            return command.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** {@code <prefix>:<namespace>:<hex id>} as UTF-8. */
    byte[] redisKey(SessionKey key) {
        return redisKeyString(keyPrefix, key).getBytes(StandardCharsets.UTF_8);
    }

    static String redisKeyString(String prefix, SessionKey key) {
        return prefix + ":" + key.namespace() + ":" + key.id().toHex();
    }

    /** The breaker's state, for health checks and tests. */
    CircuitBreaker.State breakerState() {
        return breaker.state();
    }

    /** Whether the circuit breaker lets calls through now (false while Redis is considered down). */
    public boolean isAvailable() {
        return breaker.state() != CircuitBreaker.State.OPEN;
    }

    /** The lookup deadline in force. */
    public Duration lookupDeadline() {
        return Duration.ofNanos(deadlineNanos);
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
        return "RedisSessionStore[prefix=" + keyPrefix + ", " + breaker + "]";
    }
}
