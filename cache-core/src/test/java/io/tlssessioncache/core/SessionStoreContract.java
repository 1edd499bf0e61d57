package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link SessionStore} contract as tests, for every implementation (shipped in the test-jar):
 * extend it, implement {@link #createStore(FakeTime)}, and the store is checked for exact-key
 * lookups, get leaving the record, take deleting it (also under 16 concurrent takers), remove,
 * namespace and protocol isolation, and expiry by the injected clock. The clock starts at the real
 * time and records live an hour from it, so a store with a real TTL (Redis) works too; only the
 * store's judgement of expiry is tested by moving the clock (no sleeping).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class SessionStoreContract {
    private SessionStore store;
    /** The store's time: its clock and ticker; starts now, moves only when a test says so. */
    protected final FakeTime time = new FakeTime(Instant.now().truncatedTo(ChronoUnit.MILLIS));

    /** A fresh, empty store whose wall clock (and ticker, if it takes one) is {@code time}; closed after each test. */
    protected abstract SessionStore createStore(FakeTime time) throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = createStore(time);
    }

    @AfterEach
    void close() {
        store.close();
    }

    protected static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    protected SessionRecord freshRecord() {
        return TestRecords.builder().createdAt(time.now()).lifetime(Duration.ofHours(1)).build();
    }

    @Test
    void putThenGetReturnsAnEqualRecordAndLeavesIt() throws Exception {
        SessionRecord r = freshRecord();
        await(store.put(r));
        assertEquals(Optional.of(r), await(store.get(r.key())));
        assertEquals(Optional.of(r), await(store.get(r.key())));
    }

    @Test
    void unknownKeysAreMisses() throws Exception {
        assertEquals(Optional.empty(), await(store.get(freshRecord().key())));
        assertEquals(Optional.empty(), await(store.take(freshRecord().key())));
        assertFalse(await(store.remove(freshRecord().key())));
    }

    @Test
    void takeDeletes() throws Exception {
        SessionRecord r = freshRecord();
        await(store.put(r));
        assertEquals(Optional.of(r), await(store.take(r.key())));
        assertEquals(Optional.empty(), await(store.take(r.key())));
        assertEquals(Optional.empty(), await(store.get(r.key())));
    }

    @Test
    void removeDeletes() throws Exception {
        SessionRecord r = freshRecord();
        await(store.put(r));
        assertTrue(await(store.remove(r.key())));
        assertEquals(Optional.empty(), await(store.get(r.key())));
        assertFalse(await(store.remove(r.key())));
    }

    @Test
    void namespacesAreIsolated() throws Exception {
        SessionRecord r = freshRecord();
        await(store.put(r));
        SessionKey elsewhere = new SessionKey(r.namespace() + "-other", r.protocol(), r.id());
        assertEquals(Optional.empty(), await(store.get(elsewhere)));
        assertEquals(Optional.empty(), await(store.take(elsewhere)));
        assertEquals(Optional.of(r), await(store.get(r.key())), "a take elsewhere left it alone");
    }

    @Test
    void aTls12SessionPresentedAsATls13TicketStaysAndStillResumes() throws Exception {
        // A TLS 1.2 session id travels in clear text; anyone may send it as a TLS 1.3 PSK identity.
        SessionRecord tls12 = TestRecords.builder().protocol(TlsProtocol.TLS_1_2).createdAt(time.now()).build();
        await(store.put(tls12));
        SessionKey asTicket = new SessionKey(tls12.namespace(), TlsProtocol.TLS_1_3, tls12.id());
        assertEquals(Optional.empty(), await(store.take(asTicket)));
        assertEquals(Optional.empty(), await(store.get(asTicket)));
        assertFalse(await(store.remove(asTicket)));
        assertEquals(Optional.of(tls12), await(store.get(tls12.key())), "the TLS 1.2 session is still there");
        assertEquals(Optional.of(tls12), await(store.get(tls12.key())), "and still reusable");

        // Both protocols under one id: two independent entries.
        SessionRecord tls13 = TestRecords.builder().key(asTicket).createdAt(time.now()).stateLength(99).build();
        await(store.put(tls13));
        assertEquals(Optional.of(tls13), await(store.take(asTicket)));
        assertEquals(Optional.of(tls12), await(store.get(tls12.key())));
    }

    @Test
    void aRecordIsAMissFromItsExpiryOnEvenIfTheStorageStillHoldsIt() throws Exception {
        SessionRecord r = TestRecords.builder().createdAt(time.now()).lifetime(Duration.ofSeconds(10)).build();
        SessionRecord other = TestRecords.builder().createdAt(time.now()).lifetime(Duration.ofSeconds(10)).build();
        await(store.put(r));
        await(store.put(other));
        time.advance(Duration.ofMillis(9_999));
        assertEquals(Optional.of(r), await(store.get(r.key())), "live until its expiresAt");
        time.advance(Duration.ofMillis(1));
        assertEquals(Optional.empty(), await(store.get(r.key())), "expired exactly at expiresAt");
        assertEquals(Optional.empty(), await(store.get(r.key())), "and stays expired (a near-cache copy too)");
        assertEquals(Optional.empty(), await(store.take(other.key())));
        SessionRecord late = TestRecords.builder().createdAt(time.now().minusSeconds(20))
                .lifetime(Duration.ofSeconds(10)).build();
        await(store.put(late)); // already expired: stored or not, never returned
        assertEquals(Optional.empty(), await(store.get(late.key())));
    }

    @Test
    void putReplaces() throws Exception {
        SessionRecord r = freshRecord();
        await(store.put(r));
        SessionRecord replacement = TestRecords.builder().key(r.key()).createdAt(r.createdAt())
                .lifetime(Duration.ofHours(2)).stateLength(200).build();
        await(store.put(replacement));
        assertEquals(Optional.of(replacement), await(store.get(r.key())));
    }

    @Test
    void aRevokedRecordIsAMissWhenTheStoreChecksRevocations() throws Exception {
        // Only meaningful for stores built over revocations(); reported as skipped otherwise.
        RevocationWatermarks marks = revocations();
        org.junit.jupiter.api.Assumptions.assumeTrue(marks != null, "store checks no revocations");
        SessionRecord r = freshRecord();
        await(store.put(r));
        marks.apply(Revocation.namespace(r.namespace(), r.createdAt().plusMillis(1)));
        assertEquals(Optional.empty(), await(store.get(r.key())));
        assertEquals(Optional.empty(), await(store.take(r.key())));
    }

    /** The watermarks the store under test checks, or null if it checks none. */
    protected RevocationWatermarks revocations() {
        return null;
    }

    @Test
    void ofManyConcurrentTakesExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int round = 0; round < 20; round++) {
                SessionRecord r = freshRecord();
                await(store.put(r));
                assertEquals(1, takeWinners(pool, java.util.Collections.nCopies(16, store), r.key()), "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Takes {@code key} once through each of {@code takers} (one store per thread, released together)
     * and says how many got the record: single use means at most one.
     */
    public static int takeWinners(ExecutorService pool, List<? extends SessionStore> takers, SessionKey key)
            throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(takers.size());
        List<Future<Optional<SessionRecord>>> results = new ArrayList<>();
        for (SessionStore s : takers) {
            results.add(pool.submit(() -> {
                barrier.await(10, TimeUnit.SECONDS);
                return await(s.take(key));
            }));
        }
        int winners = 0;
        for (Future<Optional<SessionRecord>> f : results) {
            if (f.get(20, TimeUnit.SECONDS).isPresent()) {
                winners++;
            }
        }
        return winners;
    }
}
