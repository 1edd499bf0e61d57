package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Per-entry Caffeine expiry: an entry lives until its record's {@code expiresAt} (wall clock, read
 * at insert), capped at {@code maximumNanos}. Reads do not extend it. Shared by the in-memory store
 * and the near-cache: it only frees memory; whether a record may be used is judged on every read by
 * {@link SessionCache}.
 */
final class RecordExpiry implements Expiry<SessionKey, SessionRecord> {
    private final Clock clock;
    private final long maximumNanos;

    RecordExpiry(Clock clock, long maximumNanos) {
        this.clock = clock;
        this.maximumNanos = maximumNanos;
    }

    /**
     * A bounded Caffeine cache whose entries expire with their records (and after
     * {@code maximumNanos} at most); {@code executor} null means {@link #SAME_THREAD}.
     */
    static Cache<SessionKey, SessionRecord> newCache(long maximumSize, Ticker ticker, Clock clock, long maximumNanos,
            Executor executor) {
        return Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .ticker(ticker)
                .expireAfter(new RecordExpiry(clock, maximumNanos))
                .executor(executor == null ? SAME_THREAD : executor)
                .build();
    }

    /**
     * The default maintenance executor: the writing thread. Caffeine's default (the common pool)
     * wakes a pool thread after nearly every write, and every new session is a write made on a
     * Netty event loop: that hand-off (a futex wake-up) measured 10-14 µs of the event loop's CPU
     * per stored session, more than the maintenance itself (an amortised O(1) drain of Caffeine's
     * buffers, plus whatever expired). These caches have no removal listener or loader, so
     * nothing slow ever runs there.
     */
    static final Executor SAME_THREAD = Runnable::run;

    private long lifetime(SessionRecord r) {
        long remaining;
        try {
            remaining = Duration.between(clock.instant(), r.expiresAt()).toNanos();
        } catch (ArithmeticException e) {
            remaining = Long.MAX_VALUE; // centuries away
        }
        return Math.max(0, Math.min(remaining, maximumNanos));
    }

    @Override
    public long expireAfterCreate(SessionKey key, SessionRecord value, long currentTime) {
        return lifetime(value);
    }

    @Override
    public long expireAfterUpdate(SessionKey key, SessionRecord value, long currentTime, long currentDuration) {
        return lifetime(value);
    }

    @Override
    public long expireAfterRead(SessionKey key, SessionRecord value, long currentTime, long currentDuration) {
        return currentDuration;
    }
}
