package io.tlssessioncache.benchmarks;

import io.tlssessioncache.core.InMemorySessionStore;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Hit latency of the local layers: the embedded store's {@code get}, and the near-cache's
 * synchronous {@code getIfPresent} and asynchronous {@code get} (a completed stage). 10,000 live
 * sessions, looked up round-robin so the JIT cannot fold the key away.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StoreLookupBenchmark {
    static final int SESSIONS = 10_000;

    private InMemorySessionStore inMemory;
    private NearCacheSessionStore near;
    private SessionKey[] keys;

    @State(Scope.Thread)
    public static class Cursor {
        int next;

        SessionKey nextKey(SessionKey[] keys) {
            int i = next;
            next = i + 1 == keys.length ? 0 : i + 1;
            return keys[i];
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        inMemory = InMemorySessionStore.builder().build();
        near = NearCacheSessionStore.builder(InMemorySessionStore.builder().build())
                .maximumSize(2L * SESSIONS)
                .build();
        keys = new SessionKey[SESSIONS];
        Random random = new Random(3);
        Instant now = Instant.now();
        for (int i = 0; i < SESSIONS; i++) {
            byte[] state = new byte[150];
            random.nextBytes(state);
            keys[i] = new SessionKey("bench-namespace", TlsProtocol.TLS_1_3, SessionId.random());
            SessionRecord r = new SessionRecord(keys[i], "api.example.com", null, now, now.plus(Duration.ofHours(2)),
                    state);
            inMemory.put(r).toCompletableFuture().join();
            near.put(r).toCompletableFuture().join();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        inMemory.close();
        near.close();
    }

    @Benchmark
    public CompletionStage<Optional<SessionRecord>> inMemoryGet(Cursor c) {
        return inMemory.get(c.nextKey(keys));
    }

    @Benchmark
    public Optional<SessionRecord> nearCacheGetIfPresent(Cursor c) {
        return near.getIfPresent(c.nextKey(keys));
    }

    @Benchmark
    public CompletionStage<Optional<SessionRecord>> nearCacheGet(Cursor c) {
        return near.get(c.nextKey(keys));
    }
}
