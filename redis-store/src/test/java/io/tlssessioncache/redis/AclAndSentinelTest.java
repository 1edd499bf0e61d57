package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.await;
import static io.tlssessioncache.redis.StoreFixtures.fresh;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.SslOptions;
import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionRecord;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A least-privilege ACL user is enough for everything the store does; TLS and Sentinel URIs work. */
@Timeout(60)
class AclAndSentinelTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    private final StoreFixtures fixtures = new StoreFixtures();

    @AfterEach
    void close() {
        fixtures.close();
    }

    @Test
    void restrictedAclUserCanDoEverythingTheStoreNeeds() throws Exception {
        RedisServer server = REDIS.standaloneServer();
        // Keys and channels under the prefix only, no dangerous commands (FLUSHALL, KEYS, CONFIG, DEBUG, ...).
        assertEquals("OK", server.cli("ACL", "SETUSER", "tls-app", "reset", "on", ">app-pw-123",
                "~tls-session:*", "&tls-session:*", "+@all", "-@dangerous").trim());
        String uri = "redis://tls-app:app-pw-123@127.0.0.1:" + server.port();
        RedisNearCache x = fixtures.open(uri, StoreFixtures.options(new CountingMetrics()).build());
        RedisNearCache y = fixtures.open(uri, StoreFixtures.options(new CountingMetrics()).build());
        String ns = namespace();

        SessionRecord r = fresh(ns);
        await(x.store().put(r));
        assertEquals(Optional.of(r), await(y.store().get(r.key())), "SET PX / GET");
        assertEquals(Optional.of(r), await(x.store().take(r.key())), "GETDEL");
        InvalidationTest.waitFor(() -> y.store().getIfPresent(r.key()).isEmpty(), "PUBLISH / SUBSCRIBE");
        await(x.store().put(r));
        assertTrue(await(x.store().remove(r.key())), "DEL");

        SessionRecord v = fresh(ns);
        await(x.store().put(v));
        await(y.store().get(v.key()));
        await(x.publisher().publishRevocation(Revocation.namespace(ns, v.createdAt().plusMillis(1))));
        InvalidationTest.waitFor(() -> y.revocations().isRevoked(v), "EVAL on the revocations hash + PUBLISH");
        assertFalse(await(x.publisher().loadRevocations()).isEmpty(), "HGETALL");

        // And the user really is confined to the prefix.
        try (RawRedis raw = RawRedis.connect(uri)) {
            assertThrows(RedisCommandExecutionException.class, () -> raw.set("other-app:key", new byte[] {1}));
            assertThrows(RedisCommandExecutionException.class, () -> raw.commands().flushall());
        }
    }

    @Test
    void redissWithAPrivateCa() {
        RedisServer server = REDIS.startTls();
        String uri = "rediss://127.0.0.1:" + server.port();
        RedisStoreOptions trusting = StoreFixtures.options(new CountingMetrics())
                .sslOptions(SslOptions.builder().trustManager(server.caCertificate().toFile()).build()).build();
        RedisNearCache x = fixtures.open(uri, trusting);
        RedisNearCache y = fixtures.open(uri, trusting);
        SessionRecord r = fresh(namespace());
        await(x.store().put(r));
        assertEquals(Optional.of(r), await(y.store().get(r.key())));
        assertEquals(Optional.of(r), await(x.store().take(r.key())));
        InvalidationTest.waitFor(() -> y.store().getIfPresent(r.key()).isEmpty(), "pub/sub over TLS");

        // Without the CA the server's certificate is not trusted: a clear error at start.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RedisSessionStores.open(uri,
                StoreFixtures.options(new CountingMetrics()).connectTimeout(java.time.Duration.ofSeconds(1)).build()));
        assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
    }

    @Test
    void sentinelUriFindsTheMaster() throws Exception {
        RedisServer master = REDIS.startAnother();
        RedisServer sentinel = REDIS.startSentinel("mymaster", master);
        String uri = "redis-sentinel://127.0.0.1:" + sentinel.port() + "?sentinelMasterId=mymaster";
        RedisNearCache x = fixtures.open(uri, StoreFixtures.options(new CountingMetrics()).build());
        RedisNearCache y = fixtures.open(uri, StoreFixtures.options(new CountingMetrics()).build());
        SessionRecord r = fresh(namespace());
        await(x.store().put(r));
        try (RawRedis raw = RawRedis.connect(master.uri())) {
            assertTrue(raw.exists(StoreFixtures.redisKey(r)), "written to the master the sentinel named");
        }
        assertEquals(Optional.of(r), await(y.store().get(r.key())));
        assertEquals(Optional.of(r), await(x.store().take(r.key())));
        InvalidationTest.waitFor(() -> y.store().getIfPresent(r.key()).isEmpty(), "invalidation via the master");
    }
}
