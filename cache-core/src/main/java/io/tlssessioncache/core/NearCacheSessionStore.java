package io.tlssessioncache.core;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A bounded Caffeine near-cache in front of a remote store (Redis) that only stores: this class
 * (through the layer every store of this library shares) judges what the remote returns, fails
 * open, and reports the metrics.
 *
 * <ul>
 *   <li>{@link #put}: write-through, local then remote; the stage completes when the remote has
 *       acknowledged the write, exceptionally if it failed (the local copy stays: this node can
 *       still resume it).</li>
 *   <li>{@link #get}: a live local entry answers at once; otherwise the remote answers and a live
 *       result fills the local cache. A remote that fails, refuses or misses the
 *       {@linkplain Builder#lookupDeadline deadline} is a miss.</li>
 *   <li>{@link #take}: the remote is the authority for single use. The local copy is dropped and
 *       the remote's answer is returned; a remote failure is a miss, never a local answer (that
 *       could let a ticket be used twice).</li>
 *   <li>{@link #remove}: both.</li>
 *   <li><b>TLS 1.3 records are never kept locally</b> (put, get and take go to the remote only): a
 *       ticket is single-use and a take never answers from a local copy, so a copy would be a
 *       local write for nothing, and the remote would have to announce every take to every
 *       server's near-cache. TLS 1.2 sessions, which are reused, are what this tier is for.</li>
 * </ul>
 *
 * <p>A local entry lives at most {@code maximumLocalLifetime} and never past its record's
 * {@code expiresAt}; hits are checked against the clock and the {@link RevocationWatermarks}.
 * {@link #invalidate} and {@link #invalidateAll} are for the remote's invalidation messages
 * (pub/sub, client tracking); a remote read that was in flight while an invalidation of its key
 * arrived does not fill the local cache, so an invalidation is never undone by a late answer.
 *
 * <p>A lookup's future may be cancelled (the client left): the remote's stage is cancelled too and
 * the {@linkplain Builder#missRetryDelay retry} of a miss is not sent.
 */
public final class NearCacheSessionStore extends SessionCacheStore {
    /** Default {@link Builder#maximumSize}. */
    public static final long DEFAULT_MAXIMUM_SIZE = 10_000;
    /** Default {@link Builder#maximumLocalLifetime}. */
    public static final Duration DEFAULT_MAXIMUM_LOCAL_LIFETIME = Duration.ofMinutes(5);

    private final NearTier near;

    private NearCacheSessionStore(Builder b) {
        NearTier near = new NearTier(RecordExpiry.newCache(b.maximumSize, b.ticker, b.clock,
                SessionCache.saturatedNanos(b.maximumLocalLifetime), b.executor));
        super(new SessionCache(b.remote, near, b.clock, b.ticker, b.revocations, b.metrics, b.lookupDeadline,
                b.missRetryDelay));
        this.near = near;
    }

    /**
     * Whether a near-cache keeps a local copy of {@code key}'s record: TLS 1.2 sessions, which are
     * reused, yes; TLS 1.3 tickets no. A ticket is single-use and a take never answers from a local
     * copy, so a copy would be a local write for nothing, and a remote store would have to announce
     * every take to every server's near-cache. Remote stores use this to know which takes need no
     * announcement.
     */
    public static boolean keepsLocally(SessionKey key) {
        return key.protocol() != TlsProtocol.TLS_1_3;
    }

    /** A builder for a near-cache in front of {@code remote}, a store that only stores (see {@link SessionStore}). */
    public static Builder builder(SessionStore remote) {
        return new Builder(remote);
    }

    /**
     * The live local entry for {@code key}, without touching the remote: for callers that must
     * answer synchronously (an engine callback). A hit counts as a lookup and a near hit; a miss
     * records nothing, because the caller is expected to go on with {@link #get}, which counts it.
     */
    public Optional<SessionRecord> getIfPresent(SessionKey key) {
        return cache.getIfPresent(key);
    }

    /** Drops the local copy of {@code key} (the remote changed it or deleted it). */
    public void invalidate(SessionKey key) {
        Objects.requireNonNull(key, "key");
        near.invalidate(key);
    }

    /** Drops every local copy (e.g. after a reconnect, when invalidations may have been lost). */
    public void invalidateAll() {
        near.invalidateAll();
    }

    /** The approximate number of local entries. */
    public long estimatedLocalSize() {
        return near.estimatedSize();
    }

    /** Runs pending Caffeine maintenance now; for tests and diagnostics. */
    public void cleanUp() {
        near.cleanUp();
    }

    /** The store behind this near-cache. */
    public SessionStore remote() {
        return cache.storage();
    }

    @Override
    public String toString() {
        return "NearCacheSessionStore[~" + near.estimatedSize() + " local, remote=" + cache.storage() + "]";
    }

    /**
     * Configures a {@link NearCacheSessionStore}; every setting but the remote has a default. The
     * local cache's setters ({@code maximumSize}, {@code ticker}, {@code clock}, ...) are the ones
     * {@link InMemorySessionStore.Builder} has too.
     */
    public static final class Builder extends LocalCacheBuilder<Builder> {
        private final SessionStore remote;
        private Duration maximumLocalLifetime = DEFAULT_MAXIMUM_LOCAL_LIFETIME;
        private Duration lookupDeadline = Duration.ZERO;
        private Duration missRetryDelay = Duration.ZERO;

        private Builder(SessionStore remote) {
            super(DEFAULT_MAXIMUM_SIZE);
            this.remote = Objects.requireNonNull(remote, "remote");
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

        /**
         * How long a lookup waits for the remote before it is a miss (default: no deadline of its own,
         * for a remote that bounds its commands itself, or a caller that cancels). At the deadline the
         * remote's stage is completed with a {@link java.util.concurrent.TimeoutException}.
         */
        public Builder lookupDeadline(Duration deadline) {
            Objects.requireNonNull(deadline, "deadline");
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException("lookupDeadline must be positive");
            }
            this.lookupDeadline = deadline;
            return this;
        }

        /**
         * A remote lookup that found nothing asks once more after this delay (default
         * {@link Duration#ZERO}: never), if the lookup deadline leaves room for the delay and a second
         * round trip as long as the first; counted by {@link SessionCacheMetrics#lookupRetried}. For a
         * put/lookup race between servers, at the price of a second command per miss.
         */
        public Builder missRetryDelay(Duration delay) {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("missRetryDelay must not be negative");
            }
            this.missRetryDelay = delay;
            return this;
        }

        public NearCacheSessionStore build() {
            completeDefaults();
            return new NearCacheSessionStore(this);
        }
    }
}
