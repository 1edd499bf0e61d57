package io.tlssessioncache.core;

import static io.tlssessioncache.core.InMemorySessionStoreTest.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class NearCacheSessionStoreTest {
    final FakeTime time = new FakeTime();
    final RevocationWatermarks revocations = new RevocationWatermarks();
    final InMemorySessionStore backing = InMemorySessionStore.builder()
            .ticker(time).clock(time.clock()).executor(Runnable::run).build();
    final CountingSessionStore remote = new CountingSessionStore(backing);
    final NearCacheSessionStore near = NearCacheSessionStore.builder(remote)
            .ticker(time).clock(time.clock()).revocations(revocations).executor(Runnable::run).build();

    /** A TLS 1.2 session: the kind a near-cache keeps (TLS 1.3 tickets: {@link #ticketsAreNeverKeptLocally}). */
    SessionRecord record(Duration lifetime) {
        return TestRecords.builder().protocol(TlsProtocol.TLS_1_2).createdAt(time.now()).lifetime(lifetime).build();
    }

    @Test
    void ticketsAreNeverKeptLocally() {
        SessionRecord ticket = TestRecords.builder().protocol(TlsProtocol.TLS_1_3).createdAt(time.now()).build();
        now(near.put(ticket));
        assertEquals(1, remote.puts(), "written through");
        assertEquals(0, near.estimatedLocalSize(), "no local copy");
        assertEquals(Optional.empty(), near.getIfPresent(ticket.key()));
        assertEquals(Optional.of(ticket), now(near.get(ticket.key())));
        assertEquals(Optional.of(ticket), now(near.get(ticket.key())));
        assertEquals(2, remote.gets(), "every get asks the remote: a remote answer fills nothing either");
        assertEquals(0, near.estimatedLocalSize());
        assertEquals(Optional.of(ticket), now(near.take(ticket.key())));
        assertEquals(Optional.empty(), now(near.take(ticket.key())), "single use");
        assertEquals(2, remote.takes());
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
    void aFailingRemoteTakeIsAMissEvenWithALocalCopy() {
        SessionRecord r = record(Duration.ofHours(1));
        now(near.put(r));
        remote.failing(true);
        assertEquals(Optional.empty(), now(near.take(r.key())), "never the local copy: it could be used twice");
        remote.failing(false);
        assertEquals(Optional.empty(), near.getIfPresent(r.key()), "the local copy is gone anyway");
    }

    @Test
    void aFailingRemotePutFailsItsStageAndKeepsTheLocalCopy() {
        SessionRecord r = record(Duration.ofHours(1));
        remote.failing(true);
        CompletionStage<Void> stage = near.put(r);
        assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join(), "not acknowledged");
        assertEquals(Optional.of(r), near.getIfPresent(r.key()));
        SessionKey missing = record(Duration.ofHours(1)).key();
        assertEquals(Optional.empty(), now(near.get(missing)), "a failing lookup is a miss");
    }

    @Test
    void aThrowingRemoteFailsWritesAndMissesLookups() {
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
        CountingMetrics metrics = new CountingMetrics();
        NearCacheSessionStore n = NearCacheSessionStore.builder(throwing).metrics(metrics).build();
        SessionRecord r = TestRecords.builder().protocol(TlsProtocol.TLS_1_2).createdAt(java.time.Instant.now()).build();
        assertTrue(n.put(r).toCompletableFuture().isCompletedExceptionally());
        assertTrue(n.remove(r.key()).toCompletableFuture().isCompletedExceptionally());
        assertEquals(Optional.empty(), now(n.take(r.key())));
        assertEquals(Optional.empty(), now(n.get(new SessionKey("x", TlsProtocol.TLS_1_2, SessionId.random()))));
        assertEquals(1, metrics.count("storeError:put"));
        assertEquals(1, metrics.count("storeError:remove"));
        assertEquals(2, metrics.count("droppedWrite"));
        assertEquals(1, metrics.count("storeError:take"));
        assertEquals(1, metrics.count("storeError:get"));
        assertEquals(2, metrics.count("miss"));
    }

    @Test
    void aRemoteThatRefusesWithoutTryingIsAMissOrADroppedWriteButNoError() {
        // What the Redis store does while its circuit breaker is open.
        CountingMetrics metrics = new CountingMetrics();
        SessionStore refusing = new DelegatingGet(backing,
                () -> CompletableFuture.failedFuture(new RejectedExecutionException("circuit open (test)"))) {
            @Override
            public CompletionStage<Void> put(SessionRecord record) {
                return CompletableFuture.failedFuture(new RejectedExecutionException("circuit open (test)"));
            }
        };
        NearCacheSessionStore n = NearCacheSessionStore.builder(refusing).metrics(metrics).build();
        SessionRecord r = TestRecords.builder().protocol(TlsProtocol.TLS_1_2).createdAt(java.time.Instant.now()).build();
        assertTrue(n.put(r).toCompletableFuture().isCompletedExceptionally(), "not stored: the caller must know");
        assertEquals(Optional.empty(), now(n.get(record(Duration.ofHours(1)).key())));
        assertEquals(1, metrics.count("droppedWrite"));
        assertEquals(1, metrics.count("miss"));
        assertEquals(0, metrics.count("storeError:put") + metrics.count("storeError:get"));
    }

    @Test
    void aValueTheRemoteCannotOpenIsACountedMiss() {
        CountingMetrics metrics = new CountingMetrics();
        NearCacheSessionStore n = NearCacheSessionStore.builder(new DelegatingGet(backing,
                () -> CompletableFuture.failedFuture(new InvalidRecordException("tampered (test)"))))
                .metrics(metrics).build();
        assertEquals(Optional.empty(), now(n.get(record(Duration.ofHours(1)).key())));
        assertEquals(1, metrics.count("rejected:tampered"));
        assertEquals(1, metrics.count("miss"));
        assertEquals(0, metrics.count("storeError:get"));
    }

    @Test
    void aLookupTheRemoteHasNotAnsweredByTheDeadlineIsAMissAndTheRemoteSeesTheTimeout() throws Exception {
        CountingMetrics metrics = new CountingMetrics();
        DelegatingGet hanging = new DelegatingGet(backing, CompletableFuture::new);
        NearCacheSessionStore n = NearCacheSessionStore.builder(hanging).metrics(metrics)
                .lookupDeadline(Duration.ofMillis(50)).build();
        long t0 = System.nanoTime();
        assertEquals(Optional.empty(), n.get(record(Duration.ofHours(1)).key()).toCompletableFuture()
                .get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(50).toNanos(), "not before the deadline");
        CompletableFuture<Optional<SessionRecord>> handedOut = hanging.handedOut().getFirst();
        assertThrows(ExecutionException.class, handedOut::get);
        assertInstanceOf(TimeoutException.class, handedOut.handle((v, e) -> e).join(), "the remote can count it");
        assertEquals(1, metrics.count("storeError:get"));
        assertEquals(1, metrics.count("miss"));
    }

    @Test
    void cancellingALookupCancelsTheRemotesStage() {
        DelegatingGet hanging = new DelegatingGet(backing, CompletableFuture::new);
        NearCacheSessionStore n = NearCacheSessionStore.builder(hanging).lookupDeadline(Duration.ofSeconds(30)).build();
        CompletableFuture<Optional<SessionRecord>> lookup = n.get(record(Duration.ofHours(1)).key())
                .toCompletableFuture();
        assertTrue(lookup.cancel(false));
        assertTrue(hanging.handedOut().getFirst().isCancelled(), "told the remote: it sends nothing it has not sent");
    }

    @Test
    void aMissIsAskedOnceMoreOnlyWhenTheRetryIsOn() {
        SessionKey unknown = record(Duration.ofHours(1)).key();
        assertEquals(Optional.empty(), now(near.get(unknown)));
        assertEquals(1, remote.gets(), "off by default: one remote command per miss");

        CountingMetrics metrics = new CountingMetrics();
        CountingSessionStore counting = new CountingSessionStore(backing);
        NearCacheSessionStore retrying = NearCacheSessionStore.builder(counting).metrics(metrics)
                .missRetryDelay(Duration.ofMillis(1)).build();
        assertEquals(Optional.empty(), retrying.get(unknown).toCompletableFuture().join());
        assertEquals(2, counting.gets());
        assertEquals(1, metrics.count("lookupRetried:missing"));
        assertEquals(1, metrics.count("miss"));
    }

    @Test
    void aSessionStoredBetweenTheTwoAsksIsFoundByTheRetry() {
        CountingMetrics metrics = new CountingMetrics();
        SessionRecord r = record(Duration.ofHours(1));
        // The first answer is nil and the write lands right after it: the race between two servers.
        DelegatingGet racing = new DelegatingGet(backing, CompletableFuture::new) {
            @Override
            public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
                CompletionStage<Optional<SessionRecord>> answer = backing.take(key);
                backing.put(r);
                return answer;
            }
        };
        NearCacheSessionStore n = NearCacheSessionStore.builder(racing).metrics(metrics).clock(time.clock())
                .missRetryDelay(Duration.ofMillis(1)).build();
        assertEquals(Optional.of(r), n.take(r.key()).toCompletableFuture().join());
        assertEquals(1, metrics.count("lookupRetried:found"));
        assertEquals(1, metrics.count("storeHit"));
    }

    @Test
    void noRetryIsSentAfterTheLookupWasCancelled() throws Exception {
        CountingSessionStore counting = new CountingSessionStore(backing);
        NearCacheSessionStore n = NearCacheSessionStore.builder(counting).missRetryDelay(Duration.ofMillis(200)).build();
        CompletableFuture<Optional<SessionRecord>> lookup = n.get(record(Duration.ofHours(1)).key())
                .toCompletableFuture();
        assertEquals(1, counting.gets(), "the first ask was sent, its nil answer schedules the retry");
        assertTrue(lookup.cancel(false)); // the client left while the retry waits
        Thread.sleep(400);
        assertEquals(1, counting.gets(), "no retry after cancellation");
    }

    @Test
    void ofManyConcurrentTakesOnSeveralWarmNearCachesExactlyOneWins() throws Exception {
        // Several near-caches over one remote, each holding a local copy: like the nodes of a fleet.
        List<NearCacheSessionStore> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(nearOver(backing));
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int round = 0; round < 50; round++) {
                SessionRecord r = record(Duration.ofHours(1));
                now(nodes.get(0).put(r));
                for (NearCacheSessionStore node : nodes) {
                    assertEquals(Optional.of(r), now(node.get(r.key())), "warm everywhere");
                }
                List<NearCacheSessionStore> takers = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    takers.add(nodes.get(t % nodes.size()));
                }
                assertEquals(1, SessionStoreContract.takeWinners(pool, takers, r.key()), "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
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
            SessionKey k = new SessionKey(key.namespace(), key.protocol(), SessionId.random());
            if (NearTier.stripe(k) != NearTier.stripe(key)) {
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
        SessionRecord r = TestRecords.builder().protocol(TlsProtocol.TLS_1_2).createdAt(time.now()).serverName("a.test").clientIdentity(client).build();
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

    /** Answers get() with a given stage (or a fresh one per call); everything else goes to the delegate. */
    static class DelegatingGet implements SessionStore {
        private final SessionStore delegate;
        private final Supplier<CompletableFuture<Optional<SessionRecord>>> answers;
        private final List<CompletableFuture<Optional<SessionRecord>>> handedOut = new CopyOnWriteArrayList<>();

        DelegatingGet(SessionStore delegate, CompletableFuture<Optional<SessionRecord>> answer) {
            this(delegate, () -> answer);
        }

        DelegatingGet(SessionStore delegate, Supplier<CompletableFuture<Optional<SessionRecord>>> answers) {
            this.delegate = delegate;
            this.answers = answers;
        }

        /** The stages get() returned, in order. */
        List<CompletableFuture<Optional<SessionRecord>>> handedOut() {
            return handedOut;
        }

        @Override
        public CompletionStage<Void> put(SessionRecord record) {
            return delegate.put(record);
        }

        @Override
        public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
            CompletableFuture<Optional<SessionRecord>> f = answers.get();
            handedOut.add(f);
            return f;
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
