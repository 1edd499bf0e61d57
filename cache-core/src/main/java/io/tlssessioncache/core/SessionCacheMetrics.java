package io.tlssessioncache.core;

/**
 * What the session stores report. Implementations must be cheap and thread-safe; they are called
 * on the lookup path. {@link #noop()} is the default; {@link MicrometerSessionCacheMetrics} records
 * to a Micrometer registry. One layer reports for every store of this library (as Caffeine's cache
 * feeds its {@code StatsCounter} and its loaders do not); the TLS engine may report too (e.g.
 * {@link #rejected} of a record its callback cannot use).
 *
 * <p>Per lookup ({@code get}/{@code take}): one {@link #lookup()}, then exactly one of
 * {@link #nearHit()}, {@link #storeHit()} or {@link #miss()} (a record rejected as expired, revoked
 * or tampered is also a miss, after a {@link #rejected}; so is a store failure, after a
 * {@link #storeError}), and {@link #lookupLatency} once it completes. A lookup cancelled by its
 * caller has no outcome.
 */
public interface SessionCacheMetrics {

    /** Metrics that record nothing. */
    static SessionCacheMetrics noop() {
        return NoopMetrics.INSTANCE;
    }

    /** A lookup started. */
    void lookup();

    /** Answered from the local near-cache. */
    void nearHit();

    /** Answered by the store (the in-memory store, or the remote store behind a near-cache). */
    void storeHit();

    /** No live record. */
    void miss();

    /** A record was stored. */
    void put();

    /** A single-use take was attempted. */
    void take();

    /** A record was found but not used; reason is one of "tampered", "expired", "revoked", "malformed", "wrong-key". */
    void rejected(String reason);

    /** The store failed {@code operation} ("get", "take", "put", "remove", ...). */
    void storeError(String operation);

    /** A write did not reach the store (it failed, or the store refused it: circuit open, queue full). */
    void droppedWrite();

    /** How long a lookup took until its answer, in nanoseconds. */
    void lookupLatency(long nanos);

    /**
     * A remote lookup that found nothing was sent once more after a short delay (a session stored
     * on another server may not have reached the store yet; off by default); {@code found}: the
     * second answer had a value. Not a separate lookup: the lookup's own outcome is counted as usual.
     */
    default void lookupRetried(boolean found) {
    }

    /**
     * A handshake went on without waiting for the store because its delegated task ran on the event
     * loop (an inline executor, where waiting would stall every connection of that loop):
     * {@code "lookup"}, a lookup still in flight (so a full handshake); {@code "put"}, a new session
     * or ticket sent before its write was acknowledged.
     */
    default void notAwaited(String operation) {
    }
}

enum NoopMetrics implements SessionCacheMetrics {
    INSTANCE;

    @Override
    public void lookup() {
    }

    @Override
    public void nearHit() {
    }

    @Override
    public void storeHit() {
    }

    @Override
    public void miss() {
    }

    @Override
    public void put() {
    }

    @Override
    public void take() {
    }

    @Override
    public void rejected(String reason) {
    }

    @Override
    public void storeError(String operation) {
    }

    @Override
    public void droppedWrite() {
    }

    @Override
    public void lookupLatency(long nanos) {
    }

    @Override
    public String toString() {
        return "SessionCacheMetrics.noop()";
    }
}
