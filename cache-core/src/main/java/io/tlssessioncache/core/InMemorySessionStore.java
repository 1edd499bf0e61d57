package io.tlssessioncache.core;

import java.time.Duration;

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
public final class InMemorySessionStore extends SessionCacheStore {
    /** Default {@link Builder#maximumSize}. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

    private final LocalStore storage;

    private InMemorySessionStore(Builder b) {
        LocalStore storage = new LocalStore(RecordExpiry.newCache(b.maximumSize, b.ticker, b.clock, Long.MAX_VALUE,
                b.executor));
        super(new SessionCache(storage, null, b.clock, b.ticker, b.revocations, b.metrics, Duration.ZERO,
                Duration.ZERO));
        this.storage = storage;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The approximate number of entries (may include expired ones not yet cleaned up). */
    public long estimatedSize() {
        return storage.estimatedSize();
    }

    /** Runs pending Caffeine maintenance (eviction, expiry) now; for tests and diagnostics. */
    public void cleanUp() {
        storage.cleanUp();
    }

    @Override
    public String toString() {
        return "InMemorySessionStore[" + storage + "]";
    }

    /**
     * Configures an {@link InMemorySessionStore}; every setting has a default. The setters are the
     * ones {@link NearCacheSessionStore.Builder} has too.
     */
    public static final class Builder extends LocalCacheBuilder<Builder> {
        private Builder() {
            super(DEFAULT_MAXIMUM_SIZE);
        }

        public InMemorySessionStore build() {
            completeDefaults();
            return new InMemorySessionStore(this);
        }
    }
}
