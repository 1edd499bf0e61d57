package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RevocationWatermarksTest {
    static final Instant T = FakeTime.DEFAULT_START;
    static final byte[] CLIENT = TestRecords.bytes(32, 5);

    final RevocationWatermarks marks = new RevocationWatermarks();

    SessionRecord at(Instant created) {
        return TestRecords.builder().createdAt(created).serverName("API.example.test").clientIdentity(CLIENT).build();
    }

    @Test
    void emptyRevokesNothing() {
        assertFalse(marks.isRevoked(at(T)));
        assertEquals(List.of(), marks.active());
    }

    @Test
    void eachScopeRevokes() {
        List<Revocation> scopes = List.of(
                Revocation.all(T),
                Revocation.namespace(TestRecords.NAMESPACE, T),
                Revocation.serverName("api.EXAMPLE.test", T),
                Revocation.clientIdentity(CLIENT, T));
        for (Revocation r : scopes) {
            marks.clear();
            assertTrue(marks.apply(r));
            assertTrue(marks.isRevoked(at(T.minusMillis(1))), r.toString());
            assertFalse(marks.isRevoked(at(T)), r.toString());
            SessionRecord unrelated = TestRecords.builder().createdAt(T.minusSeconds(1)).namespace("other")
                    .serverName("other.test").build();
            assertEquals(r.scope() == Revocation.Scope.ALL, marks.isRevoked(unrelated), r.toString());
        }
    }

    @Test
    void keepsTheLatestWatermarkPerScopeAndValue() {
        assertTrue(marks.apply(Revocation.namespace("a", T)));
        assertFalse(marks.apply(Revocation.namespace("a", T)), "duplicate");
        assertFalse(marks.apply(Revocation.namespace("a", T.minusSeconds(5))), "older");
        assertTrue(marks.apply(Revocation.namespace("a", T.plusSeconds(5))), "later");
        assertEquals(List.of(Revocation.namespace("a", T.plusSeconds(5))), marks.active());
        assertEquals(1, marks.size());
    }

    @Test
    void boundedRefusesNewEntriesWhenFullButStillRaisesExistingOnes() {
        RevocationWatermarks small = new RevocationWatermarks(2);
        small.apply(Revocation.namespace("a", T));
        small.apply(Revocation.namespace("b", T));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> small.apply(Revocation.namespace("c", T)));
        assertTrue(e.getMessage().contains("full"));
        assertTrue(small.apply(Revocation.namespace("a", T.plusSeconds(1))));
        assertEquals(2, small.size());
        assertThrows(IllegalArgumentException.class, () -> new RevocationWatermarks(0));
    }

    @Test
    void concurrentApplyKeepsTheBoundAndTheLatest() throws Exception {
        RevocationWatermarks bounded = new RevocationWatermarks(500);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        try {
                            bounded.apply(Revocation.namespace("ns" + (thread * 200 + i), T));
                        } catch (IllegalStateException full) {
                            refused.incrementAndGet();
                        }
                        bounded.apply(Revocation.all(T.plusMillis(thread * 1000L + i)));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(500, bounded.size());
        assertEquals(500, bounded.active().size());
        assertEquals(1600 + 1 - 500, refused.get(), "every namespace beyond the bound was refused");
        assertTrue(bounded.active().contains(Revocation.all(T.plusMillis(7 * 1000L + 199))), "latest ALL kept");
    }

    @Test
    void expireBeforeDropsOldWatermarks() {
        marks.apply(Revocation.namespace("old", T.minus(Duration.ofDays(2))));
        marks.apply(Revocation.namespace("new", T));
        assertEquals(1, marks.expireBefore(T.minus(Duration.ofDays(1))));
        assertEquals(List.of(Revocation.namespace("new", T)), marks.active());
        assertEquals(1, marks.size());
        marks.clear();
        assertEquals(0, marks.size());
        assertTrue(marks.active().isEmpty());
    }
}
