package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.core.TlsProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one session lookup of a connection, shared by both hooks (the engine's own, under any
 * {@code SslHandler}, and {@link ClientHelloLookupHandler}'s): for a parsed ClientHello it picks the
 * certificate by server name, decides what to ask the store, starts that, and checks the answer.
 *
 * <p>What is asked: the first 32-byte PSK identity of a TLS 1.3 ClientHello is <em>taken</em> (atomic
 * get-and-delete: tickets are single use, RFC 8446 section 8.1); failing that, the 32-byte legacy
 * session id of a client that will negotiate TLS 1.2 is <em>read</em> (TLS 1.2 sessions are
 * reusable). Anything else is a full handshake with no store command at all.
 *
 * <p>A lookup never fails a connection: a store error, an answer later than the deadline, or a
 * record for another key or protocol is a full handshake. Waiting is the caller's business:
 * {@link #answer()} for the event-loop hook, {@link #await()} for the engine's delegated task
 * (never on an event loop), {@link #ifDone()} where waiting is not allowed.
 */
final class SessionLookup {
    private static final Logger log = LoggerFactory.getLogger(SessionLookup.class);

    /** What came of it (for logs and tests). */
    enum Outcome { NO_LOOKUP, PENDING, HIT, MISS, STORE_ERROR, DEADLINE, NOT_AWAITED, CANCELLED }

    private final ServerCertificate certificate;
    private final SessionKey key; // null: nothing to look up
    private final boolean take;
    private final SessionCacheMetrics metrics;
    private final long deadlineNanos; // System.nanoTime() by which the answer must be there
    private final CompletableFuture<SessionRecord> answer = new CompletableFuture<>(); // null value: nothing usable
    private final AtomicBoolean abandoned = new AtomicBoolean();
    private volatile CompletableFuture<?> storeStage; // to cancel a command not yet sent
    private volatile Outcome outcome;

    private SessionLookup(ServerCertificate certificate, SessionKey key, boolean take, SessionCacheMetrics metrics,
                          long deadlineNanos) {
        this.certificate = certificate;
        this.key = key;
        this.take = take;
        this.metrics = metrics;
        this.deadlineNanos = deadlineNanos;
    }

    /** Picks the certificate for {@code hello}'s server name and starts the store lookup it calls for, if any. */
    static SessionLookup start(ResumingSslContext context, ClientHelloInfo hello, SessionCacheMetrics metrics) {
        ServerCertificate certificate = context.certificateFor(hello.serverName().orElse(null));
        Optional<SessionId> ticket = hello.firstPskIdentity();
        boolean tls13 = context.protocols().contains(ResumingSslContextBuilder.TLS13);
        SessionLookup lookup;
        long deadline = System.nanoTime() + context.lookupDeadline().toNanos();
        if (ticket.isPresent() && hello.offersTls13() && hello.offersPskModes() && tls13) {
            // TLS 1.3: only the first 32-byte identity. OpenSSL resumes the first identity it can, and
            // a take deletes: taking the others too would burn tickets the client may still use.
            lookup = new SessionLookup(certificate, new SessionKey(certificate.namespace(), TlsProtocol.TLS_1_3, ticket.get()), true,
                    metrics, deadline);
        } else if (hello.legacySessionId().isPresent() && hello.offersTls12() && !(hello.offersTls13() && tls13)) {
            // TLS 1.2, and only if TLS 1.2 will be negotiated: a TLS 1.3 client's legacy session id is
            // (almost always) a random middlebox-compatibility value, a certain miss.
            lookup = new SessionLookup(certificate, new SessionKey(certificate.namespace(), TlsProtocol.TLS_1_2,
                    hello.legacySessionId().get()),
                    false, metrics, deadline);
        } else {
            lookup = new SessionLookup(certificate, null, false, metrics, deadline);
            lookup.finish(null, Outcome.NO_LOOKUP);
            return lookup;
        }
        lookup.ask(context.sessionStore());
        return lookup;
    }

    private void ask(SessionStore store) {
        CompletionStage<Optional<SessionRecord>> stage;
        try {
            stage = Objects.requireNonNull(take ? store.take(key) : store.get(key), "the store returned no stage");
        } catch (Throwable t) {
            metrics.storeError(take ? "take" : "get");
            log.debug("session store failed to start a {}, full handshake: {}", take ? "take" : "get", t.getClass().getName());
            finish(null, Outcome.STORE_ERROR);
            return;
        }
        if (stage instanceof CompletableFuture<?> f) {
            storeStage = f;
        }
        // May complete on any thread (a Redis I/O thread), or at once (the embedded store, a near-cache hit).
        stage.whenComplete((found, failure) -> {
            if (failure != null) {
                finish(null, Outcome.STORE_ERROR); // the store counted its failure
            } else if (found == null || found.isEmpty()) {
                finish(null, Outcome.MISS);
            } else if (!found.get().key().equals(key)) {
                // a store answering for another key or protocol is a bug or tampering: never resume
                metrics.rejected("wrong-key");
                finish(null, Outcome.MISS);
            } else if (abandoned.get()) {
                discarded();
            } else {
                finish(found.get(), Outcome.HIT);
            }
        });
    }

    private void finish(SessionRecord record, Outcome how) {
        if (answer.complete(record)) {
            outcome = how;
        } else if (record != null) {
            discarded();
        }
    }

    private void discarded() {
        if (take) {
            // The handshake went ahead without this ticket, which the take has now consumed. Lost,
            // deliberately: putting it back would reopen the replay window single use closes; the
            // client pays one full handshake and gets a fresh ticket from it.
            log.debug("a ticket arrived after its handshake went on without it, and is discarded");
        }
    }

    /** The certificate (and so the namespace) this connection uses. */
    ServerCertificate certificate() {
        return certificate;
    }

    /** Whether a store command was sent (false: a full handshake with no lookup). */
    boolean asked() {
        return key != null;
    }

    Outcome outcome() {
        Outcome o = outcome;
        return o == null ? Outcome.PENDING : o;
    }

    /** Completes with the usable record, or {@code null}; never exceptionally. */
    CompletableFuture<SessionRecord> answer() {
        return answer;
    }

    /** The record if the answer is already there, else gives up on it ({@link Outcome#NOT_AWAITED}, counted) and returns null. */
    SessionRecord ifDone() {
        if (answer.isDone()) {
            return answer.join();
        }
        if (giveUp(Outcome.NOT_AWAITED)) {
            metrics.notAwaited("lookup");
        }
        return answer.getNow(null);
    }

    /** Waits for the answer until the deadline (a delegated task's thread, never an event loop). */
    SessionRecord await() {
        try {
            long left = deadlineNanos - System.nanoTime();
            return left > 0 ? answer.get(left, TimeUnit.NANOSECONDS) : answer.getNow(null);
        } catch (TimeoutException e) {
            // fall through: the deadline won
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never: the answer never completes exceptionally
        }
        expire();
        return answer.getNow(null);
    }

    /** Nanoseconds until the deadline (negative once passed). */
    long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    /** The deadline passed: a full handshake; counted once. Returns whether this call gave up. */
    boolean expire() {
        if (giveUp(Outcome.DEADLINE)) {
            metrics.storeError("lookup-deadline");
            log.debug("session lookup exceeded its deadline, full handshake");
            return true;
        }
        return false;
    }

    /** The connection is gone: whatever the store has not sent yet is not sent. */
    void cancel() {
        if (giveUp(Outcome.CANCELLED)) {
            CompletableFuture<?> s = storeStage;
            if (s != null) {
                s.cancel(false);
            }
        }
    }

    private boolean giveUp(Outcome why) {
        if (answer.isDone() || !abandoned.compareAndSet(false, true)) {
            return false;
        }
        if (answer.complete(null)) {
            outcome = why;
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "SessionLookup[" + (key == null ? "none" : (take ? "take " : "get ") + key.id()) + ", " + outcome() + "]";
    }
}
