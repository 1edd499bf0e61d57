package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded Caffeine near-cache in front of a remote {@link SessionStore} (Redis).
 *
 * <ul>
 *   <li>{@link #put}: write-through, local then remote; if the remote fails the stage completes
 *       exceptionally and the local copy stays (this node can still resume it).</li>
 *   <li>{@link #get}: a live local entry answers at once; otherwise the remote answers and a live
 *       result fills the local cache.</li>
 *   <li>{@link #take}: the remote is the authority for single use. The local copy is dropped and
 *       the remote's answer is returned; a remote failure is an exceptional stage, never a local
 *       answer (that could let a ticket be used twice).</li>
 *   <li>{@link #remove}: both.</li>
 * </ul>
 *
 * <p>A local entry lives at most {@code maximumLocalLifetime} and never past its record's
 * {@code expiresAt}; hits are checked against the clock and the {@link RevocationWatermarks}.
 * {@link #invalidate} and {@link #invalidateAll} are for the remote's invalidation messages
 * (pub/sub, client tracking); a remote read that was in flight while an invalidation of its key
 * arrived does not fill the local cache, so an invalidation is never undone by a late answer.
 * Invalidations are counted per stripe of keys (by hash), so with a busy channel (every take in
 * the fleet is an invalidation on every server) only the rare read whose key shares a stripe with
 * an invalidated key skips the fill, not every read in flight.
 */
public final class NearCacheSessionStore implements SessionStore {
    /** Default {@link Builder#maximumSize}. */
    public static final long DEFAULT_MAXIMUM_SIZE = 10_000;
    /** Default {@link Builder#maximumLocalLifetime}. */
    public static final Duration DEFAULT_MAXIMUM_LOCAL_LIFETIME = Duration.ofMinutes(5);

    private final SessionStore remote;
    private final Cache<SessionKey, SessionRecord> local;
    private final Clock clock;
    private final Ticker ticker;
    private final RevocationWatermarks revocations;
    private final SessionCacheMetrics metrics;
    // Invalidation counters: one per stripe of keys, bumped by every invalidation of a key in it,
    // plus an epoch bumped by invalidateAll. A remote read fills the local cache only if neither
    // its key's stripe nor the epoch moved while it was in flight.
    private static final int STRIPES = 256; // a power of two
    private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
    private final AtomicLong epoch = new AtomicLong();

    private NearCacheSessionStore(Builder b) {
        this.remote = b.remote;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.revocations = b.revocations;
        this.metrics = b.metrics;
        this.local = RecordExpiry.newCache(b.maximumSize, b.ticker, b.clock, saturatedNanos(b.maximumLocalLifetime),
                b.executor);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** A builder for a near-cache in front of {@code remote}. */
    public static Builder builder(SessionStore remote) {
        return new Builder(remote);
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        Objects.requireNonNull(record, "record");
        metrics.put();
        if (RecordExpiry.rejection(record, clock, revocations) == null) {
            local.put(record.key(), record);
        }
        CompletionStage<Void> stage;
        try {
            stage = remote.put(record);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.whenComplete((v, e) -> {
            if (e != null) {
                metrics.storeError("put");
            }
        });
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        Objects.requireNonNull(key, "key");
        long start = ticker.read();
        metrics.lookup();
        SessionRecord hit = localLive(key);
        if (hit != null) {
            metrics.nearHit();
            metrics.lookupLatency(ticker.read() - start);
            return CompletableFuture.completedFuture(Optional.of(hit));
        }
        int stripe = stripe(key);
        long epochBefore = epoch.get();
        long stripeBefore = stripes.get(stripe);
        return remoteCall("get", () -> remote.get(key)).thenApply(found -> {
            Optional<SessionRecord> result = checkRemote(key, found, start);
            result.ifPresent(r -> {
                if (unchanged(stripe, stripeBefore, epochBefore)) {
                    local.put(key, r);
                    // An invalidation may have counted between the check and the put; it also drops
                    // the key after counting, but perhaps before our put: check again, undo if so.
                    if (!unchanged(stripe, stripeBefore, epochBefore)) {
                        local.asMap().remove(key, r);
                    }
                }
            });
            return result;
        });
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        Objects.requireNonNull(key, "key");
        long start = ticker.read();
        metrics.take();
        metrics.lookup();
        countInvalidation(key);
        local.invalidate(key);
        return remoteCall("take", () -> remote.take(key)).thenApply(found -> checkRemote(key, found, start));
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        Objects.requireNonNull(key, "key");
        countInvalidation(key);
        boolean wasLocal = local.asMap().remove(key) != null;
        return remoteCall("remove", () -> remote.remove(key))
                .thenApply(wasRemote -> Boolean.TRUE.equals(wasRemote) || wasLocal);
    }

    /**
     * The live local entry for {@code key}, without touching the remote: for callers that must
     * answer synchronously (an engine callback). A hit counts as a lookup and a near hit; a miss
     * records nothing, because the caller is expected to go on with {@link #get}, which counts it.
     */
    public Optional<SessionRecord> getIfPresent(SessionKey key) {
        Objects.requireNonNull(key, "key");
        long start = ticker.read();
        SessionRecord hit = localLive(key);
        if (hit == null) {
            return Optional.empty();
        }
        metrics.lookup();
        metrics.nearHit();
        metrics.lookupLatency(ticker.read() - start);
        return Optional.of(hit);
    }

    /** Drops the local copy of {@code key} (the remote changed it or deleted it). */
    public void invalidate(SessionKey key) {
        Objects.requireNonNull(key, "key");
        countInvalidation(key);
        local.invalidate(key);
    }

    /** Drops every local copy (e.g. after a reconnect, when invalidations may have been lost). */
    public void invalidateAll() {
        epoch.incrementAndGet();
        local.invalidateAll();
    }

    /** The approximate number of local entries. */
    public long estimatedLocalSize() {
        return local.estimatedSize();
    }

    /** Runs pending Caffeine maintenance now; for tests and diagnostics. */
    public void cleanUp() {
        local.cleanUp();
    }

    /** The watermarks this near-cache checks. */
    public RevocationWatermarks revocations() {
        return revocations;
    }

    /** The store behind this near-cache. */
    public SessionStore remote() {
        return remote;
    }

    /** Closes the remote store and drops the local entries. */
    @Override
    public void close() {
        try {
            remote.close();
        } finally {
            local.invalidateAll();
        }
    }

    /** The invalidation stripe of {@code key} (package-private for tests). */
    static int stripe(SessionKey key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }

    // Counted before the local entry is dropped, so a fill that missed the count is dropped too.
    private void countInvalidation(SessionKey key) {
        stripes.incrementAndGet(stripe(key));
    }

    private boolean unchanged(int stripe, long stripeBefore, long epochBefore) {
        return stripes.get(stripe) == stripeBefore && epoch.get() == epochBefore;
    }

    private SessionRecord localLive(SessionKey key) {
        SessionRecord r = local.getIfPresent(key);
        if (r == null) {
            return null;
        }
        String reason = RecordExpiry.rejection(r, clock, revocations);
        if (reason != null) {
            metrics.rejected(reason);
            local.asMap().remove(key, r);
            return null;
        }
        return r;
    }

    private Optional<SessionRecord> checkRemote(SessionKey key, Optional<SessionRecord> found, long start) {
        Optional<SessionRecord> result = Optional.empty();
        if (found != null && found.isPresent()) {
            SessionRecord r = found.get();
            String reason = r.key().equals(key) ? RecordExpiry.rejection(r, clock, revocations) : "wrong-key";
            if (reason == null) {
                result = found;
            } else {
                metrics.rejected(reason);
            }
        }
        if (result.isPresent()) {
            metrics.storeHit();
        } else {
            metrics.miss();
        }
        metrics.lookupLatency(ticker.read() - start);
        return result;
    }

    private <T> CompletionStage<T> remoteCall(String operation, java.util.function.Supplier<CompletionStage<T>> call) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            // A store that throws instead of failing its stage is still a store failure, not ours.
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.whenComplete((v, e) -> {
            if (e != null) {
                metrics.storeError(operation);
            }
        });
    }

    @Override
    public String toString() {
        return "NearCacheSessionStore[~" + local.estimatedSize() + " local, remote=" + remote + "]";
    }

    /** Configures a {@link NearCacheSessionStore}; every setting but the remote has a default. */
    public static final class Builder {
        private final SessionStore remote;
        private long maximumSize = DEFAULT_MAXIMUM_SIZE;
        private Duration maximumLocalLifetime = DEFAULT_MAXIMUM_LOCAL_LIFETIME;
        private Ticker ticker = Ticker.systemTicker();
        private Clock clock = Clock.systemUTC();
        private RevocationWatermarks revocations;
        private SessionCacheMetrics metrics = SessionCacheMetrics.noop();
        private Executor executor;

        private Builder(SessionStore remote) {
            this.remote = Objects.requireNonNull(remote, "remote");
        }

        /** Most local entries (default 10,000). */
        public Builder maximumSize(long maximumSize) {
            if (maximumSize < 0) {
                throw new IllegalArgumentException("maximumSize must not be negative");
            }
            this.maximumSize = maximumSize;
            return this;
        }

        /** Longest a local copy lives (default 5 minutes); never past the record's expiry either. */
        public Builder maximumLocalLifetime(Duration lifetime) {
            Objects.requireNonNull(lifetime, "lifetime");
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("maximumLocalLifetime must be positive");
            }
            this.maximumLocalLifetime = lifetime;
            return this;
        }

        /** Cache time source (default {@link Ticker#systemTicker()}). */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Wall clock that record expiry is judged by (default {@link Clock#systemUTC()}). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Revocation watermarks to check (default: a new, empty set of its own). */
        public Builder revocations(RevocationWatermarks revocations) {
            this.revocations = Objects.requireNonNull(revocations, "revocations");
            return this;
        }

        /** Where to report (default {@link SessionCacheMetrics#noop()}). */
        public Builder metrics(SessionCacheMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * Executor for Caffeine's maintenance (default: the thread that wrote, which on a server is
         * an event loop: cheaper than waking a pool thread per stored session).
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public NearCacheSessionStore build() {
            if (revocations == null) {
                revocations = new RevocationWatermarks();
            }
            return new NearCacheSessionStore(this);
        }
    }
}
