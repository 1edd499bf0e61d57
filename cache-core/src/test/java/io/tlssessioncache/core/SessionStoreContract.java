package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
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
 * extend it, implement {@link #createStore()}, and the store is checked for exact-key lookups,
 * get leaving the record, take deleting it (also under 16 concurrent takers), remove, and
 * namespace isolation. Records are made with the real clock and live an hour, so a store with a
 * real TTL (Redis) works too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class SessionStoreContract {
    private SessionStore store;

    /** A fresh, empty store; closed after each test. */
    protected abstract SessionStore createStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = createStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    protected static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    protected static SessionRecord freshRecord() {
        return TestRecords.builder().createdAt(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
                .lifetime(Duration.ofHours(1)).build();
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
        SessionKey elsewhere = new SessionKey(r.namespace() + "-other", r.id());
        assertEquals(Optional.empty(), await(store.get(elsewhere)));
        assertEquals(Optional.empty(), await(store.take(elsewhere)));
        assertEquals(Optional.of(r), await(store.get(r.key())), "a take elsewhere left it alone");
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
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                SessionRecord r = freshRecord();
                await(store.put(r));
                CyclicBarrier barrier = new CyclicBarrier(threads);
                List<Future<Optional<SessionRecord>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        barrier.await(10, TimeUnit.SECONDS);
                        return await(store.take(r.key()));
                    }));
                }
                int winners = 0;
                for (Future<Optional<SessionRecord>> f : results) {
                    if (f.get(20, TimeUnit.SECONDS).isPresent()) {
                        winners++;
                    }
                }
                assertEquals(1, winners, "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
