package io.tlssessioncache.redis;

import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.core.TestRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** Helpers for admin tests (public: the server module's tests use them through the test-jar). */
public final class AdminFixtures {
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private AdminFixtures() {
    }

    /** A fresh key prefix per test: tests share Redis servers but never each other's keys. */
    public static String freshPrefix() {
        return "adm" + PREFIXES.incrementAndGet() + "-" + ProcessHandle.current().pid();
    }

    /**
     * A store instance (near-cache + Redis) as a server would open it, but with a 2 s lookup
     * deadline: a slow lookup is a (fail-open) miss, and a busy test machine must not make a
     * "should hit" look like a miss.
     */
    public static NearCacheSessionStore openStore(String uri, String prefix, SealingKeyRing ring) {
        return RedisSessionStores.create(uri, RedisStoreOptions.builder().keyPrefix(prefix).keyRing(ring)
                .lookupDeadline(Duration.ofSeconds(2)).commandTimeout(Duration.ofSeconds(2)).build());
    }

    /** A live record (created {@code age} ago, living 2 h from then). */
    public static SessionRecord record(String serverName, byte[] clientIdentity, Duration age) {
        return TestRecords.builder()
                .serverName(serverName)
                .clientIdentity(clientIdentity)
                .createdAt(Instant.now().minus(age).truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
                .lifetime(age.plusHours(2))
                .build();
    }

    public static void put(SessionStore store, SessionRecord... records) throws Exception {
        for (SessionRecord r : records) {
            store.put(r).toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    public static boolean hits(SessionStore store, SessionKey key) throws Exception {
        Optional<SessionRecord> r = store.get(key).toCompletableFuture().get(5, TimeUnit.SECONDS);
        return r.isPresent();
    }

    /**
     * Polls {@code get} until it misses and returns how long that took (ns); fails after 2 s. A
     * store instance that cached a session learns of its eviction by a pub/sub message, so right
     * after the admin call it may still hit for a few milliseconds.
     */
    public static long awaitMiss(SessionStore store, SessionKey key) throws Exception {
        long t0 = System.nanoTime();
        while (hits(store, key)) {
            if (System.nanoTime() - t0 > 2_000_000_000L) {
                throw new AssertionError(key.id() + " still resumable 2 s after the admin call returned");
            }
            Thread.onSpinWait();
        }
        return System.nanoTime() - t0;
    }

    /** Keys under {@code prefix} on a standalone server, counted with redis-cli (independently of the admin code). */
    public static long countKeys(RedisServer server, String prefix) {
        return keys(server, prefix).size();
    }

    /**
     * Distinct keys under {@code prefix} over every master of a cluster. Distinct: a node that has
     * just become a replica can still be a master in another node's {@code CLUSTER NODES} for a
     * moment, holding copies of its master's keys (one CI run counted a key twice that way).
     */
    public static long countKeys(RedisCluster cluster, String prefix) {
        Set<String> all = new HashSet<>();
        for (RedisServer m : cluster.masters()) {
            all.addAll(keys(m, prefix));
        }
        return all.size();
    }

    private static Set<String> keys(RedisServer server, String prefix) {
        // --no-raw: one quoted line per key, binary ones included (a raw key may hold a newline byte).
        return server.cli("--no-raw", "--scan", "--pattern", prefix + ":*").lines().filter(l -> !l.isBlank())
                .collect(Collectors.toSet());
    }

    public static List<String> lines(String s) {
        return s.lines().toList();
    }
}
