package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.await;
import static io.tlssessioncache.redis.StoreFixtures.fresh;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TestRecords;
import io.tlssessioncache.core.TlsProtocol;
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

    private static byte[] key(SessionRecord r) {
        return StoreFixtures.redisKey(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void putGetTakeRemove(String mode) {
        Servers s = servers(mode);
        RedisSessionStore store = s.a().remote();
        SessionRecord r = fresh(namespace());

        await(store.put(r));
        assertTrue(s.raw().exists(key(r)), "key is <prefix>:{}<type><namespace><id>");
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
        assertFalse(contains(raw, r.serverName().getBytes(), r.serverName().length()), "metadata is sealed too");
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
        NearCacheSessionStore store = s.a().store();
        String ns = namespace();
        long before = s.metrics().count("rejected:tampered");

        // 1. garbage
        SessionKey k1 = new SessionKey(ns, TlsProtocol.TLS_1_3, SessionId.random());
        s.raw().set(StoreFixtures.redisKey(k1), "not a sealed record".getBytes());
        assertEquals(Optional.empty(), await(store.get(k1)));
        assertTrue(s.raw().exists(StoreFixtures.redisKey(k1)), "get does not delete what it cannot open");

        // 2. one flipped bit in a good blob
        SessionRecord r2 = fresh(ns);
        await(s.a().remote().put(r2));
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

        // 5. a good blob of a TLS 1.3 session copied under the TLS 1.2 key of the same id
        SessionRecord r5 = fresh(ns);
        SessionKey asTls12 = new SessionKey(ns, TlsProtocol.TLS_1_2, r5.id());
        s.raw().set(StoreFixtures.redisKey(asTls12), new SealedRecordCodec(StoreFixtures.RING).encode(r5));
        assertEquals(Optional.empty(), await(store.get(asTls12)));

        assertEquals(before + 5, s.metrics().count("rejected:tampered"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void revokedRecordsAreMisses(String mode) {
        Servers s = servers(mode);
        String ns = namespace();
        SessionRecord r = fresh(ns);
        await(s.a().remote().put(r));
        s.a().revocations().apply(Revocation.namespace(ns, Instant.now().plusSeconds(1)));
        assertEquals(Optional.of(r), await(s.a().remote().get(r.key())), "the Redis store only stores");
        assertEquals(Optional.empty(), await(s.a().store().get(r.key())), "the near-cache's layer judges");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void oneKeySpacePerProtocol(String mode) {
        Servers s = servers(mode);
        SessionRecord tls12 = TestRecords.builder().namespace(namespace()).protocol(TlsProtocol.TLS_1_2)
                .createdAt(fresh("x").createdAt()).build();
        await(s.a().store().put(tls12));
        SessionKey asTicket = new SessionKey(tls12.namespace(), TlsProtocol.TLS_1_3, tls12.id());
        assertEquals(Optional.empty(), await(s.b().store().take(asTicket)), "a TLS 1.3 take of its id finds nothing");
        assertTrue(s.raw().exists(key(tls12)), "and deletes nothing");
        assertEquals(Optional.of(tls12), await(s.b().store().get(tls12.key())), "the TLS 1.2 session still resumes");
        byte[] k12 = key(tls12);
        byte[] k13 = StoreFixtures.redisKey(asTicket);
        assertEquals(k12.length, k13.length);
        assertFalse(java.util.Arrays.equals(k12, k13), "two keys");
    }

    @org.junit.jupiter.api.Test
    void theKeyIsBinaryAndShort() {
        String ns = "0123456789abcdef0123456789abcdef"; // what the engine derives: 16 bytes as hex
        SessionRecord r = TestRecords.builder().namespace(ns).build();
        byte[] k = key(r);
        assertEquals("tls-session:".length() + 2 + 1 + 16 + 32, k.length);
        assertEquals("tls-session:{}", new String(k, 0, 14, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0x14, k[14], "TLS 1.3, packed namespace");
        assertEquals((byte) 0x01, k[15], "the namespace's first byte, 0x01 from \"01...\"");
        assertTrue(java.util.Arrays.equals(r.id().toBytes(), java.util.Arrays.copyOfRange(k, k.length - 32, k.length)));
        KeyLayout layout = new KeyLayout("tls-session");
        assertEquals(r.key(), layout.parse(k));
        SessionKey text = new SessionKey("ns-ñ", TlsProtocol.TLS_1_2, r.id());
        byte[] t = layout.key(text);
        assertEquals(0x03, t[14], "TLS 1.2, UTF-8 namespace");
        assertEquals(text, layout.parse(t));
        assertEquals(null, layout.parse("tls-session:revocations".getBytes()));
        assertEquals(null, layout.parse(("tls-session:" + ns + ":" + r.id().toHex()).getBytes()), "the old text layout");
    }

    @org.junit.jupiter.api.Test
    void sessionsSpreadOverTheClusterEvenWhenTheNamespaceBytesHoldBraces() {
        // Packed, this namespace is 7b 41 41 7d ...: "{AA}". Were it hashed as Redis Cluster does a
        // hash tag, every session of the namespace would go to the slot of "AA", on one master.
        String ns = "7b41417d" + "00".repeat(12);
        RedisCluster cluster = REDIS.clusterServers();
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        java.util.Set<Integer> masters = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            byte[] k = key(TestRecords.builder().namespace(ns).build());
            slots.add(io.lettuce.core.cluster.SlotHash.getSlot(k));
            masters.add(cluster.masterFor(k).port());
        }
        assertTrue(slots.size() >= 25, "slots " + slots.size());
        assertEquals(3, masters.size(), "every master gets sessions");
        // And on the real cluster: written through the store, found on every master.
        Servers s = servers("cluster");
        for (int i = 0; i < 30; i++) {
            await(s.a().remote().put(TestRecords.builder().namespace(ns).createdAt(fresh("x").createdAt()).build()));
        }
        for (RedisServer m : cluster.masters()) {
            assertTrue(m.cli("--scan", "--pattern", "tls-session:{}*").lines().anyMatch(l -> !l.isBlank()),
                    "master " + m.port() + " holds sessions");
        }
    }

    @org.junit.jupiter.api.Test
    void aTypicalSessionCostsAtMost400BytesOfRedisMemory() {
        // An OpenSSL server session without a client certificate is 150-170 bytes (i2d_SSL_SESSION),
        // SNI "localhost": measured by MEMORY USAGE on a real Redis (docs/guide/operations.md, "Sizing").
        Servers s = servers("standalone");
        String ns = "0123456789abcdef0123456789abcdef";
        for (TlsProtocol p : TlsProtocol.values()) {
            SessionRecord r = TestRecords.builder().namespace(ns).protocol(p).serverName("localhost").stateLength(170)
                    .createdAt(fresh("x").createdAt()).build();
            await(s.a().remote().put(r));
            long bytes = s.raw().memoryUsage(key(r));
            System.out.printf("MEASURED Redis MEMORY USAGE of a %s session (170-byte state): %d bytes%n", p, bytes);
            assertTrue(bytes <= 400, p + ": " + bytes + " bytes");
        }
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
