package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.await;
import static io.tlssessioncache.redis.StoreFixtures.fresh;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TestRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The store on a real standalone Redis and a real 3+3 cluster: layout, sealing, single use, bad values. */
@Timeout(60)
class RedisSessionStoreTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standaloneAndCluster();

    private static final StoreFixtures FIXTURES = new StoreFixtures();
    private static final Map<String, Servers> SERVERS = new HashMap<>();

    /** Two "servers" (separate clients) and a raw connection on one deployment. */
    record Servers(RedisNearCache a, RedisNearCache b, CountingMetrics metrics, RawRedis raw) {
    }

    static synchronized Servers servers(String mode) {
        return SERVERS.computeIfAbsent(mode, m -> {
            String uri = m.equals("cluster") ? REDIS.clusterServers().uri() : REDIS.standaloneServer().uri();
            CountingMetrics metrics = new CountingMetrics();
            // A generous deadline: these tests are about semantics (a cold JVM on 2 cores can exceed 50 ms).
            RedisStoreOptions o = StoreFixtures.options(metrics).lookupDeadline(Duration.ofSeconds(2)).build();
            return new Servers(FIXTURES.open(uri, o), FIXTURES.open(uri, o), metrics, RawRedis.connect(uri));
        });
    }

    @AfterAll
    static void closeAll() throws Exception {
        for (Servers s : SERVERS.values()) {
            s.raw().close();
        }
        SERVERS.clear();
        FIXTURES.close();
    }

    private static String key(SessionRecord r) {
        return "tls-session:" + r.namespace() + ":" + r.id().toHex();
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void putGetTakeRemove(String mode) {
        Servers s = servers(mode);
        RedisSessionStore store = s.a().remote();
        SessionRecord r = fresh(namespace());

        await(store.put(r));
        assertTrue(s.raw().exists(key(r)), "key is <prefix>:<namespace>:<hex id>");
        assertEquals(Optional.of(r), await(store.get(r.key())));
        assertEquals(Optional.of(r), await(s.b().remote().get(r.key())), "another client reads it too");
        assertEquals(Optional.of(r), await(store.get(r.key())), "get leaves it in place");

        assertEquals(Optional.of(r), await(s.b().remote().take(r.key())));
        assertFalse(s.raw().exists(key(r)), "take deletes");
        assertEquals(Optional.empty(), await(store.take(r.key())));
        assertEquals(Optional.empty(), await(store.get(r.key())));

        await(store.put(r));
        assertTrue(await(store.remove(r.key())));
        assertFalse(await(store.remove(r.key())));
        assertEquals(Optional.empty(), await(store.get(r.key())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void valuesAreSealed(String mode) {
        Servers s = servers(mode);
        SessionRecord r = TestRecords.builder().namespace(namespace()).createdAt(fresh("x").createdAt())
                .lifetime(Duration.ofMinutes(5)).state(TestRecords.bytes(200, 7)).build();
        await(s.a().remote().put(r));
        byte[] raw = s.raw().get(key(r));
        assertTrue(raw != null && raw.length > 200, String.valueOf(s.metrics()));
        assertFalse(contains(raw, r.state(), 16), "no 16-byte run of the state appears in Redis");
        assertFalse(contains(raw, r.cipherSuite().getBytes(), r.cipherSuite().length()), "metadata is sealed too");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void expiryIsPx(String mode) throws Exception {
        Servers s = servers(mode);
        SessionRecord r = fresh(namespace(), Duration.ofMillis(400));
        await(s.a().remote().put(r));
        long pttl = s.raw().pttl(key(r));
        assertTrue(pttl > 0 && pttl <= 400, "PX is the remaining lifetime, got " + pttl + " " + s.metrics());
        Thread.sleep(600);
        assertFalse(s.raw().exists(key(r)), "Redis dropped it");
        assertEquals(Optional.empty(), await(s.a().remote().get(r.key())));

        SessionRecord old = TestRecords.builder().namespace(namespace()).build(); // expired in 2026-01-01
        await(s.a().remote().put(old));
        assertFalse(s.raw().exists(key(old)), "an expired record is not written");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void concurrentTakesAcrossTwoClientsHaveOneWinner(String mode) throws Exception {
        Servers s = servers(mode);
        String ns = namespace();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 10; round++) {
                SessionRecord r = fresh(ns);
                await(s.a().remote().put(r));
                CountDownLatch go = new CountDownLatch(1);
                List<CompletableFuture<Optional<SessionRecord>>> takes = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    RedisSessionStore store = (i % 2 == 0 ? s.a() : s.b()).remote();
                    takes.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return store.take(r.key());
                    }, pool).thenCompose(st -> st));
                }
                go.countDown();
                long winners = takes.stream().map(StoreFixtures::await).filter(Optional::isPresent).count();
                assertEquals(1, winners, "exactly one of 100 concurrent takes wins");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void untrustedValuesAreRejectedMisses(String mode) {
        Servers s = servers(mode);
        RedisSessionStore store = s.a().remote();
        String ns = namespace();
        long before = s.metrics().count("rejected:tampered");

        // 1. garbage
        SessionKey k1 = new SessionKey(ns, SessionId.random());
        s.raw().set("tls-session:" + ns + ":" + k1.id().toHex(), "not a sealed record".getBytes());
        assertEquals(Optional.empty(), await(store.get(k1)));
        assertTrue(s.raw().exists("tls-session:" + ns + ":" + k1.id().toHex()), "get does not delete what it cannot open");

        // 2. one flipped bit in a good blob
        SessionRecord r2 = fresh(ns);
        await(store.put(r2));
        byte[] blob = s.raw().get(key(r2));
        blob[blob.length / 2] ^= 1;
        s.raw().set(key(r2), blob);
        assertEquals(Optional.empty(), await(store.get(r2.key())));

        // 3. sealed under a key this fleet does not have
        SessionRecord r3 = fresh(ns);
        s.raw().set(key(r3), new SealedRecordCodec(SealingKeyRing.generate()).encode(r3));
        assertEquals(Optional.empty(), await(store.get(r3.key())));

        // 4. a good blob of another session copied under this id
        SessionRecord r4 = fresh(ns);
        SessionRecord other = fresh(ns);
        s.raw().set(key(r4), new SealedRecordCodec(StoreFixtures.RING).encode(other));
        assertEquals(Optional.empty(), await(store.take(r4.key())));
        assertFalse(s.raw().exists(key(r4)), "take removed it anyway");

        assertEquals(before + 4, s.metrics().count("rejected:tampered"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void revokedRecordsAreMisses(String mode) {
        Servers s = servers(mode);
        String ns = namespace();
        SessionRecord r = fresh(ns);
        await(s.a().remote().put(r));
        s.a().revocations().apply(Revocation.namespace(ns, Instant.now().plusSeconds(1)));
        assertEquals(Optional.empty(), await(s.a().remote().get(r.key())));
        assertEquals(Optional.empty(), await(s.a().store().get(r.key())));
    }

    private static boolean contains(byte[] hay, byte[] needle, int run) {
        for (int start = 0; start + run <= needle.length; start += run) {
            outer:
            for (int i = 0; i + run <= hay.length; i++) {
                for (int j = 0; j < run; j++) {
                    if (hay[i + j] != needle[start + j]) {
                        continue outer;
                    }
                }
                return true;
            }
        }
        return false;
    }
}
