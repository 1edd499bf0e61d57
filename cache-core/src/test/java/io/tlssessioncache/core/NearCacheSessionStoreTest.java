package io.tlssessioncache.core;

import static io.tlssessioncache.core.InMemorySessionStoreTest.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class NearCacheSessionStoreTest {
    final FakeTime time = new FakeTime();
    final RevocationWatermarks revocations = new RevocationWatermarks();
    final InMemorySessionStore backing = InMemorySessionStore.builder()
            .ticker(time).clock(time.clock()).executor(Runnable::run).build();
    final CountingSessionStore remote = new CountingSessionStore(backing);
    final NearCacheSessionStore near = NearCacheSessionStore.builder(remote)
            .ticker(time).clock(time.clock()).revocations(revocations).executor(Runnable::run).build();

    SessionRecord record(Duration lifetime) {
        return TestRecords.createdNow(time, lifetime);
    }

    @Test
    void putWritesThroughAndALocalHitNeverCallsTheRemote() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        assertEquals(1, remote.puts());
        assertEquals(Optional.of(r), now(backing.get(r.key())), "the remote has it");
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.of(r), now(near.get(r.key())));
        }
        assertEquals(Optional.of(r), near.getIfPresent(r.key()));
        assertEquals(0, remote.gets(), "local hits only");
    }

    @Test
    void aMissGoesToTheRemoteOnceThenHitsLocally() {
        SessionRecord r = record(Duration.ofHours(1));
        now(backing.put(r)); // written by another node
        assertEquals(Optional.empty(), near.getIfPresent(r.key()), "getIfPresent is local only");
        assertEquals(0, remote.gets());
        assertEquals(Optional.of(r), now(near.get(r.key())));
        assertEquals(1, remote.gets());
        assertEquals(Optional.of(r), now(near.get(r.key())));
        assertEquals(Optional.of(r), near.getIfPresent(r.key()));
        assertEquals(1, remote.gets(), "second get was local");
    }

    @Test
    void aRemoteMissIsAMissAndNotCached() {
        SessionKey k = record(Duration.ofHours(1)).key();
        assertEquals(Optional.empty(), now(near.get(k)));
        assertEquals(Optional.empty(), now(near.get(k)));
        assertEquals(2, remote.gets());
    }

    @Test
    void takeAsksTheRemoteAndALaterGetGoesRemote() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        assertEquals(Optional.of(r), now(near.take(r.key())));
        assertEquals(1, remote.takes());
        assertEquals(Optional.empty(), near.getIfPresent(r.key()), "local copy dropped");
        assertEquals(Optional.empty(), now(near.get(r.key())));
        assertEquals(1, remote.gets(), "the get after a take went to the remote");
        assertEquals(Optional.empty(), now(near.take(r.key())));
        assertEquals(2, remote.takes());
    }

    @Test
    void takeReturnsTheRemotesAnswerEvenWithALocalCopy() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        now(backing.take(r.key())); // another node used the ticket
        assertEquals(Optional.empty(), now(near.take(r.key())), "the remote is the authority for single use");
    }

    @Test
    void aFailingRemoteTakeFailsEvenWithALocalCopy() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        remote.failing(true);
        CompletionStage<Optional<SessionRecord>> stage = near.take(r.key());
        assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
        remote.failing(false);
        assertEquals(Optional.empty(), near.getIfPresent(r.key()), "the local copy is gone anyway");
    }

    @Test
    void aFailingRemotePutKeepsTheLocalCopy() {
        SessionRecord r = record(Duration.ofHours(1));
        remote.failing(true);
        CompletionStage<Void> stage = near.put(r);
        assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
        assertEquals(Optional.of(r), near.getIfPresent(r.key()));
        SessionKey missing = record(Duration.ofHours(1)).key();
        assertThrows(CompletionException.class, () -> near.get(missing).toCompletableFuture().join());
    }

    @Test
    void aThrowingRemoteBecomesAFailedStage() {
        SessionStore throwing = new SessionStore() {
            @Override
            public CompletionStage<Void> put(SessionRecord record) {
                throw new IllegalStateException("boom");
            }

            @Override
            public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
                throw new IllegalStateException("boom");
            }

            @Override
            public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
                throw new IllegalStateException("boom");
            }

            @Override
            public CompletionStage<Boolean> remove(SessionKey key) {
                throw new IllegalStateException("boom");
            }
        };
        NearCacheSessionStore n = NearCacheSessionStore.builder(throwing).build();
        SessionRecord r = TestRecords.builder().createdAt(java.time.Instant.now()).build();
        assertTrue(n.put(r).toCompletableFuture().isCompletedExceptionally());
        assertTrue(n.take(r.key()).toCompletableFuture().isCompletedExceptionally());
        assertTrue(n.remove(r.key()).toCompletableFuture().isCompletedExceptionally());
        assertTrue(n.get(new SessionKey("x", SessionId.random()))
                .toCompletableFuture().isCompletedExceptionally());
    }

    @Test
    void invalidateMakesTheNextGetGoRemote() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        near.invalidate(r.key());
        assertEquals(Optional.empty(), near.getIfPresent(r.key()));
        assertEquals(Optional.of(r), now(near.get(r.key())));
        assertEquals(1, remote.gets());

        near.invalidateAll();
        assertEquals(Optional.of(r), now(near.get(r.key())));
        assertEquals(2, remote.gets());
    }

    @Test
    void anInvalidationDuringARemoteReadIsNotUndone() {
        SessionRecord r = record(Duration.ofHours(1));
        CompletableFuture<Optional<SessionRecord>> pending = new CompletableFuture<>();
        NearCacheSessionStore n = NearCacheSessionStore.builder(new DelegatingGet(backing, pending))
                .ticker(time).clock(time.clock()).build();
        CompletionStage<Optional<SessionRecord>> stage = n.get(r.key());
        n.invalidate(r.key()); // e.g. a Redis invalidation message arrives while GET is in flight
        pending.complete(Optional.of(r));
        assertEquals(Optional.of(r), now(stage), "the answer still goes to the caller");
        assertEquals(Optional.empty(), n.getIfPresent(r.key()), "but does not fill the local cache");
    }

    @Test
    void anInvalidationOfAnotherKeyDuringARemoteReadDoesNotPreventTheFill() {
        SessionRecord r = record(Duration.ofHours(1));
        SessionKey other = keyInAnotherStripe(r.key());
        CompletableFuture<Optional<SessionRecord>> pending = new CompletableFuture<>();
        CountingSessionStore counting = new CountingSessionStore(new DelegatingGet(backing, pending));
        NearCacheSessionStore n = nearOver(counting);
        CompletionStage<Optional<SessionRecord>> stage = n.get(r.key());
        n.invalidate(other); // another server took another session meanwhile
        n.take(other);
        pending.complete(Optional.of(r));
        assertEquals(Optional.of(r), now(stage));
        assertEquals(Optional.of(r), now(n.get(r.key())), "the second get is answered locally");
        assertEquals(1, counting.gets(), "only the first get went remote: it filled the local cache");
    }

    @Test
    void anInvalidationOfTheSameKeyDuringARemoteReadStillPreventsTheFill() {
        SessionRecord r = record(Duration.ofHours(1));
        CompletableFuture<Optional<SessionRecord>> pending = new CompletableFuture<>();
        CountingSessionStore counting = new CountingSessionStore(new DelegatingGet(backing, pending));
        NearCacheSessionStore n = nearOver(counting);
        CompletionStage<Optional<SessionRecord>> stage = n.get(r.key());
        n.invalidate(r.key());
        pending.complete(Optional.of(r));
        assertEquals(Optional.of(r), now(stage), "the answer still goes to the caller");
        assertEquals(Optional.empty(), n.getIfPresent(r.key()), "but does not fill the local cache");
        assertEquals(Optional.of(r), now(n.get(r.key())));
        assertEquals(2, counting.gets(), "so the second get goes remote again");
    }

    @Test
    void invalidateAllDuringARemoteReadPreventsTheFill() {
        SessionRecord r = record(Duration.ofHours(1));
        CompletableFuture<Optional<SessionRecord>> pending = new CompletableFuture<>();
        CountingSessionStore counting = new CountingSessionStore(new DelegatingGet(backing, pending));
        NearCacheSessionStore n = nearOver(counting);
        CompletionStage<Optional<SessionRecord>> stage = n.get(r.key());
        n.invalidateAll(); // e.g. the invalidation channel was resubscribed: messages may be lost
        pending.complete(Optional.of(r));
        assertEquals(Optional.of(r), now(stage));
        assertEquals(Optional.empty(), n.getIfPresent(r.key()));
        assertEquals(1, counting.gets());
    }

    private NearCacheSessionStore nearOver(SessionStore remote) {
        return NearCacheSessionStore.builder(remote).ticker(time).clock(time.clock()).executor(Runnable::run).build();
    }

    private static SessionKey keyInAnotherStripe(SessionKey key) {
        while (true) {
            SessionKey k = new SessionKey(key.namespace(), SessionId.random());
            if (NearCacheSessionStore.stripe(k) != NearCacheSessionStore.stripe(key)) {
                return k;
            }
        }
    }

    @Test
    void removeRemovesBoth() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        assertTrue(now(near.remove(r.key())));
        assertEquals(1, remote.removes());
        assertEquals(Optional.empty(), near.getIfPresent(r.key()));
        assertEquals(Optional.empty(), now(backing.get(r.key())));
        assertFalse(now(near.remove(r.key())));
    }

    @Test
    void aLocalEntryNeverOutlivesItsRecord() {
        // Record lives 30 s, local lifetime 5 min: the local copy must go at 30 s.
        SessionRecord r = record(Duration.ofSeconds(30));
        now(near.put(r));
        time.advance(Duration.ofSeconds(29));
        assertTrue(near.getIfPresent(r.key()).isPresent());
        time.advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), near.getIfPresent(r.key()));
        assertEquals(Optional.empty(), now(near.get(r.key())));
        near.cleanUp();
        assertEquals(0, near.estimatedLocalSize());
    }

    @Test
    void aLocalEntryLivesAtMostTheMaximumLocalLifetime() {
        NearCacheSessionStore n = NearCacheSessionStore.builder(remote).maximumLocalLifetime(Duration.ofSeconds(10))
                .ticker(time).clock(time.clock()).executor(Runnable::run).build();
        SessionRecord r = record(Duration.ofHours(1));
        now(n.put(r));
        time.advance(Duration.ofSeconds(10));
        assertEquals(Optional.empty(), n.getIfPresent(r.key()), "local copy aged out");
        assertEquals(Optional.of(r), now(n.get(r.key())), "the remote still has it");
        assertEquals(1, remote.gets());
        assertTrue(n.getIfPresent(r.key()).isPresent(), "refilled");
    }

    @Test
    void anExpiredRemoteAnswerIsAMiss() {
        // A remote that returns a record past its expiry (e.g. Redis TTL rounding): never used.
        SessionRecord r = record(Duration.ofSeconds(5));
        CompletableFuture<Optional<SessionRecord>> answer = CompletableFuture.completedFuture(Optional.of(r));
        NearCacheSessionStore n = NearCacheSessionStore.builder(new DelegatingGet(backing, answer))
                .ticker(time).clock(time.clock()).build();
        time.advance(Duration.ofSeconds(5));
        assertEquals(Optional.empty(), now(n.get(r.key())));
        assertEquals(Optional.empty(), n.getIfPresent(r.key()));
    }

    @Test
    void aRemoteAnswerForAnotherKeyIsAMiss() {
        SessionRecord other = record(Duration.ofHours(1));
        CompletableFuture<Optional<SessionRecord>> answer = CompletableFuture.completedFuture(Optional.of(other));
        NearCacheSessionStore n = NearCacheSessionStore.builder(new DelegatingGet(backing, answer))
                .ticker(time).clock(time.clock()).build();
        SessionKey asked = record(Duration.ofHours(1)).key();
        assertEquals(Optional.empty(), now(n.get(asked)));
    }

    @Test
    void revocationHidesLocalAndRemoteCopies() {
        byte[] client = TestRecords.bytes(32, 12);
        SessionRecord r = TestRecords.builder().createdAt(time.now()).serverName("a.test").clientIdentity(client).build();
        List<Revocation> scopes = List.of(
                Revocation.all(time.now().plusMillis(1)),
                Revocation.namespace(r.namespace(), time.now().plusMillis(1)),
                Revocation.serverName("A.TEST", time.now().plusMillis(1)),
                Revocation.clientIdentity(client, time.now().plusMillis(1)));
        for (Revocation rev : scopes) {
            revocations.clear();
            now(near.put(r));
            assertTrue(near.getIfPresent(r.key()).isPresent());
            revocations.apply(rev);
            assertEquals(Optional.empty(), near.getIfPresent(r.key()), rev.toString());
            // The backing store knows no revocations: the near-cache still refuses its answer.
            assertEquals(Optional.empty(), now(near.get(r.key())), rev.toString());
            assertEquals(Optional.empty(), now(near.take(r.key())), rev.toString());
        }
    }

    @Test
    void boundedLocalSize() {
        NearCacheSessionStore n = NearCacheSessionStore.builder(remote).maximumSize(50)
                .ticker(time).clock(time.clock()).executor(Runnable::run).build();
        List<SessionRecord> all = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            SessionRecord r = record(Duration.ofHours(1));
            all.add(r);
            now(n.put(r));
        }
        n.cleanUp();
        assertTrue(n.estimatedLocalSize() <= 50, "size " + n.estimatedLocalSize());
        remote.reset();
        for (SessionRecord r : all) {
            assertEquals(Optional.of(r), now(n.get(r.key())), "evicted locally, still remote");
        }
        assertTrue(remote.gets() >= 450, "gets " + remote.gets());
    }

    @Test
    void closeClosesTheRemote() {
        near.close();
        assertEquals(1, remote.closes());
    }

    /** Answers get() with a given stage; everything else goes to the delegate. */
    static final class DelegatingGet implements SessionStore {
        private final SessionStore delegate;
        private final CompletionStage<Optional<SessionRecord>> answer;

        DelegatingGet(SessionStore delegate, CompletionStage<Optional<SessionRecord>> answer) {
            this.delegate = delegate;
            this.answer = answer;
        }

        @Override
        public CompletionStage<Void> put(SessionRecord record) {
            return delegate.put(record);
        }

        @Override
        public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
            return answer;
        }

        @Override
        public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
            return delegate.take(key);
        }

        @Override
        public CompletionStage<Boolean> remove(SessionKey key) {
            return delegate.remove(key);
        }
    }
}
