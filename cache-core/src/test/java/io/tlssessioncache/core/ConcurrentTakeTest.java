package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TLS 1.3 single use: of many concurrent takes of one ticket, exactly one gets it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrentTakeTest {
    static final int THREADS = 16;
    static final int ROUNDS = 200;
    static ExecutorService pool;

    @BeforeAll
    static void start() {
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void inMemory() throws Exception {
        InMemorySessionStore store = InMemorySessionStore.builder().build();
        race(() -> store, store);
    }

    @Test
    void nearCacheOverInMemory() throws Exception {
        InMemorySessionStore remote = InMemorySessionStore.builder().build();
        // Several near-caches over one remote: like several nodes of a fleet sharing Redis.
        List<NearCacheSessionStore> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(NearCacheSessionStore.builder(remote).build());
        }
        int[] next = {0};
        race(() -> nodes.get(next[0]++ % nodes.size()), nodes.get(0));
    }

    private static void race(Supplier<SessionStore> storeForThread, SessionStore writer) throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            SessionRecord r = TestRecords.builder().createdAt(Instant.now()).lifetime(Duration.ofHours(1)).build();
            writer.put(r).toCompletableFuture().get(5, TimeUnit.SECONDS);
            // Every node had read the session before (a warm near-cache everywhere).
            List<SessionStore> stores = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                SessionStore s = storeForThread.get();
                s.get(r.key()).toCompletableFuture().get(5, TimeUnit.SECONDS);
                stores.add(s);
            }
            CyclicBarrier barrier = new CyclicBarrier(THREADS);
            List<Future<Optional<SessionRecord>>> results = new ArrayList<>();
            for (SessionStore s : stores) {
                results.add(pool.submit(() -> {
                    barrier.await(10, TimeUnit.SECONDS);
                    CompletableFuture<Optional<SessionRecord>> f = s.take(r.key()).toCompletableFuture();
                    return f.get(10, TimeUnit.SECONDS);
                }));
            }
            int winners = 0;
            for (Future<Optional<SessionRecord>> f : results) {
                Optional<SessionRecord> got = f.get(20, TimeUnit.SECONDS);
                if (got.isPresent()) {
                    assertEquals(r, got.get());
                    winners++;
                }
            }
            assertEquals(1, winners, "round " + round);
        }
    }
}
