package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Cache;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The local copies of a near-cache: a bounded Caffeine map, and the bookkeeping that keeps an
 * invalidation from being undone by a remote read that was in flight when it arrived.
 *
 * <p>Invalidations are counted per stripe of keys (by hash), plus an epoch for "drop everything". A
 * remote read notes both before it starts ({@link #beginRead}) and fills the local map only if
 * neither moved ({@link #fill}). With a busy channel (every take in the fleet is an invalidation on
 * every server) only the rare read whose key shares a stripe with an invalidated key skips the
 * fill, not every read in flight. Checks and metrics are {@link SessionCache}'s.
 */
final class NearTier {
    private static final int STRIPES = 256; // a power of two

    private final Cache<SessionKey, SessionRecord> local;
    private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
    private final AtomicLong epoch = new AtomicLong();

    /** What a remote read saw before it started. */
    record Read(int stripe, long stripeBefore, long epochBefore) {
    }

    NearTier(Cache<SessionKey, SessionRecord> local) {
        this.local = local;
    }

    SessionRecord get(SessionKey key) {
        return local.getIfPresent(key);
    }

    void put(SessionRecord r) {
        local.put(r.key(), r);
    }

    /** Drops {@code r} if it is still the copy under {@code key} (it was found unusable). */
    void drop(SessionKey key, SessionRecord r) {
        local.asMap().remove(key, r);
    }

    /** Drops the copy of {@code key}; whether there was one. */
    boolean remove(SessionKey key) {
        countInvalidation(key);
        return local.asMap().remove(key) != null;
    }

    void invalidate(SessionKey key) {
        countInvalidation(key);
        local.invalidate(key);
    }

    void invalidateAll() {
        epoch.incrementAndGet();
        local.invalidateAll();
    }

    Read beginRead(SessionKey key) {
        int stripe = stripe(key);
        long epochBefore = epoch.get();
        return new Read(stripe, stripes.get(stripe), epochBefore);
    }

    /** Keeps a copy of what a remote read found, unless an invalidation came while it was in flight. */
    void fill(Read read, SessionRecord r) {
        if (unchanged(read)) {
            local.put(r.key(), r);
            // An invalidation may have counted between the check and the put; it also drops the key
            // after counting, but perhaps before our put: check again, undo if so.
            if (!unchanged(read)) {
                local.asMap().remove(r.key(), r);
            }
        }
    }

    long estimatedSize() {
        return local.estimatedSize();
    }

    void cleanUp() {
        local.cleanUp();
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

    private boolean unchanged(Read read) {
        return stripes.get(read.stripe()) == read.stripeBefore() && epoch.get() == read.epochBefore();
    }
}
