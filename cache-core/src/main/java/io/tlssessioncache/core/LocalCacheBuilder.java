package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The settings {@link InMemorySessionStore.Builder} and {@link NearCacheSessionStore.Builder} share:
 * the Caffeine cache in this process and the {@link SessionCache} layer over it. Package-private,
 * so the public builders stay the API; {@code B} is the concrete builder, so that a chain of calls
 * keeps its type ({@code builder().ticker(t).lookupDeadline(d)}).
 */
abstract class LocalCacheBuilder<B extends LocalCacheBuilder<B>> {
    long maximumSize;
    Ticker ticker = Ticker.systemTicker();
    Clock clock = Clock.systemUTC();
    RevocationWatermarks revocations;
    SessionCacheMetrics metrics = SessionCacheMetrics.noop();
    Executor executor;

    LocalCacheBuilder(long defaultMaximumSize) {
        this.maximumSize = defaultMaximumSize;
    }

    /**
     * Most entries kept in this process (default: the store's {@code DEFAULT_MAXIMUM_SIZE}); beyond it
     * Caffeine evicts (W-TinyLFU).
     */
    public B maximumSize(long maximumSize) {
        if (maximumSize < 0) {
            throw new IllegalArgumentException("maximumSize must not be negative");
        }
        this.maximumSize = maximumSize;
        return self();
    }

    /** Cache time source (default {@link Ticker#systemTicker()}). */
    public B ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return self();
    }

    /** Wall clock that record expiry is judged by (default {@link Clock#systemUTC()}). */
    public B clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /** Revocation watermarks to check (default: a new, empty set of its own). */
    public B revocations(RevocationWatermarks revocations) {
        this.revocations = Objects.requireNonNull(revocations, "revocations");
        return self();
    }

    /** Where to report (default {@link SessionCacheMetrics#noop()}). */
    public B metrics(SessionCacheMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        return self();
    }

    /**
     * Executor for Caffeine's maintenance (default: the thread that wrote, which on a server is
     * an event loop: cheaper than waking a pool thread per stored session).
     */
    public B executor(Executor executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
        return self();
    }

    /** Fills in the defaults that are made per store (its own watermarks); called by {@code build()}. */
    final void completeDefaults() {
        if (revocations == null) {
            revocations = new RevocationWatermarks();
        }
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this; // B is the subclass by construction (Builder extends LocalCacheBuilder<Builder>)
    }
}
