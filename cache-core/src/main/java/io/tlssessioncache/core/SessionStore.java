package io.tlssessioncache.core;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where resumable sessions live: the contract every store (in-memory, near-cache, Redis) keeps.
 *
 * <p>Security invariants, which the stores handed to callers hold
 * ({@link InMemorySessionStore}, {@link NearCacheSessionStore}, and the Redis store's factory, which
 * returns a near-cache):
 * <ul>
 *   <li><b>Ids are random, lookups untrusted.</b> A {@link SessionId} is 32 bytes from a CSPRNG and
 *       the id a client presents is attacker-controlled: a store looks it up by exact key, never
 *       by prefix or pattern, and a miss is an ordinary answer.</li>
 *   <li><b>One key space per namespace and protocol.</b> A record is found only under the
 *       {@link SessionKey} it was stored under, protocol included: a TLS 1.2 session id (sent in
 *       clear text) presented as a TLS 1.3 PSK identity names another key, so a TLS 1.3 take can
 *       never return or delete a TLS 1.2 session.</li>
 *   <li><b>A store may lose entries.</b> Eviction, expiry, restarts and outages lose sessions; the
 *       only cost is a full handshake.</li>
 *   <li><b>Expired sessions are never returned.</b> A record whose {@link SessionRecord#expiresAt()}
 *       has passed, or that a revocation covers, is a miss.</li>
 *   <li><b>{@link #take} really deletes.</b> It is the single-use path of TLS 1.3 tickets (RFC 8446
 *       section 8.1, appendix C.4): of any number of concurrent takes of one key, in this process or
 *       across the fleet, at most one returns the record.</li>
 *   <li><b>Writes are acknowledged.</b> A {@link #put} stage completes only once the store has the
 *       record (Redis: the {@code SET}'s reply; in memory: at once) and completes exceptionally when
 *       the write failed, timed out or was refused (e.g. a circuit breaker is open): a caller that
 *       must not hand out a ticket before it can be resumed waits for it.</li>
 *   <li><b>Never block the caller.</b> Methods return at once; the work completes the stage, which
 *       may complete on another thread. Lookups fail open: a store failure, a refusal or a missed
 *       deadline is a miss (counted), not an exception.</li>
 *   <li><b>Cancellation is honoured.</b> A caller that no longer needs an answer (its client closed
 *       the connection) may {@code toCompletableFuture().cancel(false)} the future a lookup
 *       returned: a store then sends nothing it has not sent yet, and no retry.</li>
 *   <li><b>Secrets stay secret.</b> {@link SessionRecord#state()} never reaches logs or exception
 *       messages; a store that leaves the process seals it, and its key names hold no secret.</li>
 * </ul>
 *
 * <p><b>Writing a store.</b> A store that keeps records somewhere (the {@code remote} of a
 * {@link NearCacheSessionStore}, such as the Redis store) only stores: it returns what it has, as
 * it is, and the near-cache's layer judges it (key, expiry, revocation), applies the deadline and
 * the retry of a miss, fails open, and reports every metric. Such a store completes a lookup
 * exceptionally with {@link InvalidRecordException} for a value that does not open or decode (a
 * miss counted {@code rejected("tampered")}), with
 * {@link java.util.concurrent.RejectedExecutionException} when it refused without trying (a miss,
 * or a dropped write, but no store error), and with any other exception for a failure. The layer
 * may cancel the future it got (the caller left), or complete it with a
 * {@link java.util.concurrent.TimeoutException} (the deadline passed: the store was too slow), so a
 * store hands out a fresh future per call.
 */
public interface SessionStore extends AutoCloseable {

    /**
     * Stores (or replaces) the record under its key until its {@link SessionRecord#expiresAt()};
     * completes when the store acknowledged it, exceptionally if it did not.
     */
    CompletionStage<Void> put(SessionRecord record);

    /** The live record under {@code key}, leaving it in place (TLS 1.2 sessions are reusable). */
    CompletionStage<Optional<SessionRecord>> get(SessionKey key);

    /** Atomically reads and deletes the record under {@code key}: the TLS 1.3 single-use path. */
    CompletionStage<Optional<SessionRecord>> take(SessionKey key);

    /** Deletes the record under {@code key}; completes with whether one was there. */
    CompletionStage<Boolean> remove(SessionKey key);

    /** Releases connections and threads; the default does nothing. */
    @Override
    default void close() {
    }
}
