package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemorySessionStoreTest {
    final FakeTime time = new FakeTime();
    final RevocationWatermarks revocations = new RevocationWatermarks();
    final InMemorySessionStore store = InMemorySessionStore.builder()
            .ticker(time).clock(time.clock()).revocations(revocations).executor(Runnable::run).build();

    static <T> T now(java.util.concurrent.CompletionStage<T> stage) {
        // Every in-memory stage is already complete: join() never waits here.
        assertTrue(stage.toCompletableFuture().isDone(), "stage not complete at once");
        return stage.toCompletableFuture().join();
    }

    @Test
    void putGetTakeRemove() {
        SessionRecord r = TestRecords.createdNow(time, Duration.ofHours(1));
        now(store.put(r));
        assertEquals(Optional.of(r), now(store.get(r.key())));
        assertEquals(Optional.of(r), now(store.get(r.key())), "get leaves it in place");
        assertEquals(Optional.of(r), now(store.take(r.key())));
        assertEquals(Optional.empty(), now(store.take(r.key())), "take deletes");
        assertEquals(Optional.empty(), now(store.get(r.key())));
        now(store.put(r));
        assertTrue(now(store.remove(r.key())));
        assertFalse(now(store.remove(r.key())));
        assertEquals(Optional.empty(), now(store.get(r.key())));
    }

    @Test
    void lookupsAreByExactKey() {
        SessionRecord r = TestRecords.createdNow(time, Duration.ofHours(1));
        now(store.put(r));
        assertEquals(Optional.empty(), now(store.get(new SessionKey("other", r.protocol(), r.id()))));
        assertEquals(Optional.empty(), now(store.get(new SessionKey(r.namespace(), r.protocol(), SessionId.random()))));
    }

    @Test
    void eachEntryExpiresAtItsOwnTime() {
        SessionRecord shortLived = TestRecords.createdNow(time, Duration.ofSeconds(10));
        SessionRecord longLived = TestRecords.createdNow(time, Duration.ofSeconds(100));
        now(store.put(shortLived));
        now(store.put(longLived));
        time.advance(Duration.ofSeconds(9));
        assertTrue(now(store.get(shortLived.key())).isPresent());
        time.advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), now(store.get(shortLived.key())), "expired exactly at expiresAt");
        assertEquals(Optional.empty(), now(store.take(shortLived.key())));
        assertTrue(now(store.get(longLived.key())).isPresent());
        time.advance(Duration.ofSeconds(90));
        assertEquals(Optional.empty(), now(store.get(longLived.key())));
        store.cleanUp();
        assertEquals(0, store.estimatedSize(), "Caffeine dropped the expired entries");
    }

    @Test
    void expiredRecordsAreNotStored() {
        SessionRecord r = TestRecords.createdNow(time, Duration.ofSeconds(1));
        time.advance(Duration.ofSeconds(2));
        now(store.put(r));
        store.cleanUp();
        assertEquals(0, store.estimatedSize());
    }

    @Test
    void expiryIsJudgedByTheClockEvenIfCaffeineHasNotRun() {
        // A record whose expiresAt passes while the ticker stands still (clock jump): still a miss.
        FakeTime clockOnly = new FakeTime();
        InMemorySessionStore s = InMemorySessionStore.builder().ticker(time).clock(clockOnly.clock()).build();
        SessionRecord r = TestRecords.createdNow(clockOnly, Duration.ofSeconds(5));
        now(s.put(r));
        clockOnly.advance(Duration.ofSeconds(5));
        assertEquals(Optional.empty(), now(s.get(r.key())));
    }

    @Test
    void boundedSize() {
        InMemorySessionStore small = InMemorySessionStore.builder().maximumSize(100)
                .ticker(time).clock(time.clock()).executor(Runnable::run).build();
        List<SessionRecord> all = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            SessionRecord r = TestRecords.createdNow(time, Duration.ofHours(1));
            all.add(r);
            now(small.put(r));
        }
        small.cleanUp();
        assertTrue(small.estimatedSize() <= 100, "size " + small.estimatedSize());
        long found = all.stream().filter(r -> now(small.get(r.key())).isPresent()).count();
        assertTrue(found <= 100 && found > 0, "found " + found);
    }

    @Test
    void maintenanceRunsOnTheWritingThreadByDefault() {
        // No executor configured: Caffeine's maintenance (here, eviction) must have run inside put,
        // on this thread, with no cleanUp() and no pool thread. With Caffeine's default executor
        // the eviction would be handed to the common pool and the size would still be above the bound.
        InMemorySessionStore small = InMemorySessionStore.builder().maximumSize(10)
                .ticker(time).clock(time.clock()).build();
        for (int i = 0; i < 200; i++) {
            now(small.put(TestRecords.createdNow(time, Duration.ofHours(1))));
            assertTrue(small.estimatedSize() <= 10, "size " + small.estimatedSize() + " after put " + i);
        }
    }

    @Test
    void revocationHidesRecordsOfEachScope() {
        byte[] client = TestRecords.bytes(32, 11);
        SessionRecord r = TestRecords.builder().createdAt(time.now()).serverName("Shop.Example.test")
                .clientIdentity(client).build();
        List<Revocation> scopes = List.of(
                Revocation.all(time.now().plusMillis(1)),
                Revocation.namespace(r.namespace(), time.now().plusMillis(1)),
                Revocation.serverName("shop.example.TEST", time.now().plusMillis(1)),
                Revocation.clientIdentity(client, time.now().plusMillis(1)));
        for (Revocation rev : scopes) {
            revocations.clear();
            now(store.put(r));
            assertTrue(now(store.get(r.key())).isPresent());
            revocations.apply(rev);
            assertEquals(Optional.empty(), now(store.get(r.key())), rev.toString());
            assertEquals(Optional.empty(), now(store.take(r.key())), rev.toString());
            // Newer sessions in the same scope are untouched.
            SessionRecord newer = TestRecords.builder().createdAt(time.now().plusMillis(1))
                    .serverName("shop.example.test").clientIdentity(client).build();
            now(store.put(newer));
            assertTrue(now(store.get(newer.key())).isPresent(), rev.toString());
        }
    }

    @Test
    void closeDropsEverything() {
        SessionRecord r = TestRecords.createdNow(time, Duration.ofHours(1));
        now(store.put(r));
        store.close();
        assertEquals(Optional.empty(), now(store.get(r.key())));
    }
}
