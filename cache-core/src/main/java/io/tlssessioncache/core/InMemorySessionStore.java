package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The embedded default store: a bounded Caffeine cache in this process. Records are kept as they
 * are (they never leave the process, so they are not sealed). Every method completes at once.
 *
 * <p>Each entry expires at its record's {@code expiresAt}; reads also check the record against the
 * clock and the {@link RevocationWatermarks}, so an expired or revoked record is a miss even before
 * Caffeine drops it. {@link #take} is atomic ({@code ConcurrentMap.remove}): of any number of
 * concurrent takes of a key, exactly one gets the record.
 */
public final class InMemorySessionStore implements SessionStore {
    /** Default {@link Builder#maximumSize}. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

    private final Cache<SessionKey, SessionRecord> cache;
    private final Clock clock;
    private final Ticker ticker;
    private final RevocationWatermarks revocations;
    private final SessionCacheMetrics metrics;

    private InMemorySessionStore(Builder b) {
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.revocations = b.revocations;
        this.metrics = b.metrics;
        this.cache = RecordExpiry.newCache(b.maximumSize, b.ticker, b.clock, Long.MAX_VALUE, b.executor);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        Objects.requireNonNull(record, "record");
        metrics.put();
        // An already expired or revoked record would only be a miss later: do not let it take space.
        if (RecordExpiry.rejection(record, clock, revocations) == null) {
            cache.put(record.key(), record);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        Objects.requireNonNull(key, "key");
        long start = ticker.read();
        return CompletableFuture.completedFuture(lookup(key, cache.getIfPresent(key), start));
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        Objects.requireNonNull(key, "key");
        metrics.take();
        long start = ticker.read();
        return CompletableFuture.completedFuture(lookup(key, cache.asMap().remove(key), start));
    }

    private Optional<SessionRecord> lookup(SessionKey key, SessionRecord found, long start) {
        metrics.lookup();
        Optional<SessionRecord> result = Optional.empty();
        if (found != null) {
            String reason = RecordExpiry.rejection(found, clock, revocations);
            if (reason == null) {
                result = Optional.of(found);
            } else {
                metrics.rejected(reason);
                cache.asMap().remove(key, found);
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

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        Objects.requireNonNull(key, "key");
        return CompletableFuture.completedFuture(cache.asMap().remove(key) != null);
    }

    /** The approximate number of entries (may include expired ones not yet cleaned up). */
    public long estimatedSize() {
        return cache.estimatedSize();
    }

    /** Runs pending Caffeine maintenance (eviction, expiry) now; for tests and diagnostics. */
    public void cleanUp() {
        cache.cleanUp();
    }

    /** The watermarks this store checks; apply revocations here. */
    public RevocationWatermarks revocations() {
        return revocations;
    }

    /** Drops every entry. */
    @Override
    public void close() {
        cache.invalidateAll();
    }

    @Override
    public String toString() {
        return "InMemorySessionStore[~" + cache.estimatedSize() + " entries]";
    }

    /** Configures an {@link InMemorySessionStore}; every setting has a default. */
    public static final class Builder {
        private long maximumSize = DEFAULT_MAXIMUM_SIZE;
        private Ticker ticker = Ticker.systemTicker();
        private Clock clock = Clock.systemUTC();
        private RevocationWatermarks revocations;
        private SessionCacheMetrics metrics = SessionCacheMetrics.noop();
        private Executor executor;

        private Builder() {
        }

        /** Most entries kept (default 100,000); beyond it Caffeine evicts (W-TinyLFU). */
        public Builder maximumSize(long maximumSize) {
            if (maximumSize < 0) {
                throw new IllegalArgumentException("maximumSize must not be negative");
            }
            this.maximumSize = maximumSize;
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

        public InMemorySessionStore build() {
            if (revocations == null) {
                revocations = new RevocationWatermarks();
            }
            return new InMemorySessionStore(this);
        }
    }
}
