package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.await;
import static io.tlssessioncache.redis.StoreFixtures.reusable;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two "servers" (two separate clients with their own near-caches) on one Redis: whatever one
 * takes, removes or revokes disappears from the other's near-cache within 100 ms.
 */
@Timeout(120)
class InvalidationTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standaloneAndCluster();

    private static final StoreFixtures FIXTURES = new StoreFixtures();
    private static final Map<String, RedisNearCache[]> SERVERS = new HashMap<>();
    private static final long LIMIT_NANOS = Duration.ofMillis(100).toNanos();

    static synchronized RedisNearCache[] servers(String mode) {
        return SERVERS.computeIfAbsent(mode, m -> {
            RedisStoreOptions o = StoreFixtures.options(new CountingMetrics()).lookupDeadline(Duration.ofSeconds(2)).build();
            return new RedisNearCache[] {FIXTURES.open(uri(m), o), FIXTURES.open(uri(m), o)};
        });
    }

    static String uri(String mode) {
        return mode.equals("cluster") ? REDIS.clusterServers().uri() : REDIS.standaloneServer().uri();
    }

    @AfterAll
    static void closeAll() {
        FIXTURES.close();
        SERVERS.clear();
    }

    /** Puts {@code r} into Redis through A and into B's near-cache (by a B lookup). */
    private static void cachedOnB(RedisNearCache a, RedisNearCache b, SessionRecord r) {
        await(a.remote().put(r));
        waitFor(() -> {
            await(b.store().get(r.key()));
            return b.store().getIfPresent(r.key()).isPresent();
        }, "B caches the record");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void takeAndRemoveOnOneServerReachTheOthersNearCache(String mode) {
        RedisNearCache[] s = servers(mode);
        RedisNearCache a = s[0];
        RedisNearCache b = s[1];
        String ns = namespace();
        int n = 200;
        long[] delays = new long[n];
        for (int i = 0; i < n; i++) {
            SessionRecord r = reusable(ns);
            cachedOnB(a, b, r);
            long t0 = System.nanoTime();
            if (i % 2 == 0) {
                a.store().take(r.key()); // TLS 1.3 resumption on server A
            } else {
                a.store().remove(r.key());
            }
            delays[i] = awaitGone(b, r.key(), t0);
        }
        report(mode + " take/remove", delays);
        assertTrue(percentile(delays, 99) <= LIMIT_NANOS, "p99 invalidation delay within 100 ms");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void revocationsReachEveryServerAndNewcomers(String mode) {
        RedisNearCache[] s = servers(mode);
        RedisNearCache a = s[0];
        RedisNearCache b = s[1];
        int n = 50;
        long[] delays = new long[n];
        SessionRecord last = null;
        for (int i = 0; i < n; i++) {
            SessionRecord r = reusable(namespace());
            cachedOnB(a, b, r);
            long t0 = System.nanoTime();
            a.publisher().publishRevocation(Revocation.namespace(r.namespace(), r.createdAt().plusMillis(1)));
            delays[i] = awaitGone(b, r.key(), t0);
            last = r;
        }
        SessionRecord lastRecord = last;
        report(mode + " revocation", delays);
        // Two round trips (EVAL, then PUBLISH) and only 50 samples: p95, to stay robust on a loaded CI box.
        assertTrue(percentile(delays, 95) <= LIMIT_NANOS, "p95 revocation delay within 100 ms");

        // The watermark is in Redis too: a server that starts later loads it.
        RedisNearCache c = FIXTURES.open(uri(mode), StoreFixtures.options(new CountingMetrics()).build());
        assertTrue(c.revocations().isRevoked(lastRecord), "a new server loaded the watermark");
        await(a.remote().put(lastRecord));
        assertEquals(Optional.empty(), await(c.store().get(lastRecord.key())), "and treats the record as revoked");
        // A lower watermark for the same scope never lowers the stored one.
        await(a.publisher().publishRevocation(
                Revocation.namespace(lastRecord.namespace(), lastRecord.createdAt().minusSeconds(60))));
        assertTrue(await(a.publisher().loadRevocations()).stream().anyMatch(v ->
                v.value().equals(lastRecord.namespace()) && v.createdBefore().isAfter(lastRecord.createdAt())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void publishAllClearsEveryNearCache(String mode) {
        RedisNearCache[] s = servers(mode);
        String ns = namespace();
        SessionRecord[] rs = new SessionRecord[5];
        for (int i = 0; i < rs.length; i++) {
            rs[i] = reusable(ns);
            cachedOnB(s[0], s[1], rs[i]);
        }
        await(s[0].publisher().publishAll());
        waitFor(() -> Arrays.stream(rs).noneMatch(r -> s[1].store().getIfPresent(r.key()).isPresent()),
                "B's near-cache dropped everything");
    }

    /** Spins until B's near-cache no longer has {@code key}; returns nanoseconds since {@code t0}. */
    private static long awaitGone(RedisNearCache b, SessionKey key, long t0) {
        long deadline = t0 + Duration.ofSeconds(5).toNanos();
        while (b.store().getIfPresent(key).isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("invalidation did not arrive within 5 s");
            }
            LockSupport.parkNanos(20_000);
        }
        return System.nanoTime() - t0;
    }

    static void waitFor(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    static long percentile(long[] values, int p) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1)];
    }

    static void report(String what, long[] nanos) {
        System.out.printf("MEASURED invalidation delay (%s, n=%d): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", what,
                nanos.length, percentile(nanos, 50) / 1e6, percentile(nanos, 99) / 1e6,
                Arrays.stream(nanos).max().orElse(0) / 1e6);
    }
}
