package io.tlssessioncache.core;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where resumable sessions live: the contract every store (in-memory, near-cache, Redis) keeps.
 *
 * <p>Security invariants, which every implementation must hold:
 * <ul>
 *   <li><b>Ids are random, lookups untrusted.</b> A {@link SessionId} is 32 bytes from a CSPRNG and
 *       the id a client presents is attacker-controlled: a store looks it up by exact value, never
 *       by prefix or pattern, and a miss is an ordinary answer.</li>
 *   <li><b>A store may lose entries.</b> Eviction, expiry, restarts and outages lose sessions; the
 *       only cost is a full handshake. Callers never depend on a put being readable.</li>
 *   <li><b>Expired sessions are never returned.</b> A record whose {@link SessionRecord#expiresAt()}
 *       has passed, or that a revocation covers, is a miss.</li>
 *   <li><b>{@link #take} really deletes.</b> It is the single-use path of TLS 1.3 tickets (RFC 8446
 *       section 8.1, appendix C.4): of any number of concurrent takes of one key, in this process or
 *       across the fleet, at most one returns the record.</li>
 *   <li><b>Never block the caller.</b> Methods return at once; the work completes the stage, which
 *       may complete on another thread. A stage completes exceptionally only for a store failure,
 *       which callers treat as a miss.</li>
 *   <li><b>Secrets stay secret.</b> {@link SessionRecord#state()} never reaches logs or exception
 *       messages; a store that leaves the process seals it.</li>
 * </ul>
 */
public interface SessionStore extends AutoCloseable {

    /** Stores (or replaces) the record under its key until its {@link SessionRecord#expiresAt()}. */
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
