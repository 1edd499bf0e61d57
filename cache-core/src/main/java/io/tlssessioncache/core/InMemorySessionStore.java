package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The embedded default store: a bounded Caffeine cache in this process. Records are kept as they
 * are (they never leave the process, so they are not sealed). Every method completes at once; a
 * put is acknowledged when it returns.
 *
 * <p>Each entry expires at its record's {@code expiresAt}; every read is judged against the clock
 * and the {@link RevocationWatermarks} (by the layer every store of this library shares), so an
 * expired or revoked record is a miss even before Caffeine drops it. {@link #take} is atomic
 * ({@code ConcurrentMap.remove}): of any number of concurrent takes of a key, exactly one gets the
 * record.
 */
public final class InMemorySessionStore implements SessionStore {
    /** Default {@link Builder#maximumSize}. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

    private final LocalStore storage;
    private final SessionCache cache;

    private InMemorySessionStore(Builder b) {
        this.storage = new LocalStore(RecordExpiry.newCache(b.maximumSize, b.ticker, b.clock, Long.MAX_VALUE,
                b.executor));
        this.cache = new SessionCache(storage, null, b.clock, b.ticker, b.revocations, b.metrics, Duration.ZERO,
                Duration.ZERO);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        return cache.put(record);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        return cache.get(key);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        return cache.take(key);
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        return cache.remove(key);
    }

    /** The approximate number of entries (may include expired ones not yet cleaned up). */
    public long estimatedSize() {
        return storage.estimatedSize();
    }

    /** Runs pending Caffeine maintenance (eviction, expiry) now; for tests and diagnostics. */
    public void cleanUp() {
        storage.cleanUp();
    }

    /** The watermarks this store checks; apply revocations here. */
    public RevocationWatermarks revocations() {
        return cache.revocations();
    }

    /** Drops every entry. */
    @Override
    public void close() {
        cache.close();
    }

    @Override
    public String toString() {
        return "InMemorySessionStore[" + storage + "]";
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
