package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.AdminFixtures.hits;
import static io.tlssessioncache.redis.AdminFixtures.put;
import static io.tlssessioncache.redis.AdminFixtures.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ACL split with two real Redis users, with the rules of {@code deploy/redis/users.acl}
 * ({@code tls-server} for the servers, {@code tls-admin} for operators): the servers' user runs
 * the store but cannot sweep (SCAN is denied, and the error says so); the admin user can evict,
 * and the server's store honours it.
 */
@Timeout(60)
class SessionAdminAclTest {

    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    static final String PREFIX = "tls-session";
    static final SealingKeyRing RING = SealingKeyRing.generate();

    /** The rules of deploy/redis/users.acl (branch deploy), password aside. */
    static final String SERVER_RULES = "resetkeys resetchannels ~tls-session:* &tls-session:* &__redis__:invalidate"
            + " -@all +hello +auth +ping +echo +client|setname +client|getname +client|id +client|tracking"
            + " +client|trackinginfo +client|caching +cluster|slots +cluster|shards +cluster|nodes +cluster|myid"
            + " +cluster|info +readonly +readwrite +asking +info +command +get +set +getdel +getex +del +unlink"
            + " +exists +hgetall +hget +eval +evalsha +eval_ro +evalsha_ro +script|load +script|exists +publish"
            + " +subscribe +unsubscribe +spublish +ssubscribe +sunsubscribe";
    static final String ADMIN_RULES = "resetkeys resetchannels ~tls-session:* &tls-session:* -@all +hello +auth"
            + " +ping +echo +client|setname +client|getname +client|id +cluster|slots +cluster|shards +cluster|nodes"
            + " +cluster|myid +cluster|info +cluster|countkeysinslot +readonly +readwrite +asking +info +command"
            + " +get +set +getdel +getex +del +unlink +exists +hgetall +hget +hset +hdel +eval +evalsha +eval_ro"
            + " +evalsha_ro +script|load +script|exists +publish +spublish +scan +type +ttl +pttl +dbsize"
            + " +memory|usage +object|encoding";

    static String serverUri;
    static String adminUri;

    @BeforeAll
    static void users() {
        RedisServer redis = REDIS.standaloneServer();
        setUser(redis, "tls-server", "server-pw", SERVER_RULES);
        setUser(redis, "tls-admin", "admin-pw", ADMIN_RULES);
        serverUri = "redis://tls-server:server-pw@127.0.0.1:" + redis.port();
        adminUri = "redis://tls-admin:admin-pw@127.0.0.1:" + redis.port();
    }

    private static void setUser(RedisServer redis, String name, String password, String rules) {
        List<String> args = new ArrayList<>(List.of("ACL", "SETUSER", name, "reset", "on", ">" + password));
        args.addAll(List.of(rules.split(" ")));
        String out = redis.cli(args.toArray(String[]::new));
        assertTrue(out.strip().equals("OK"), out);
    }

    @Test
    void serverUserCannotSweepAdminUserCan() throws Exception {
        try (NearCacheSessionStore server = AdminFixtures.openStore(serverUri, PREFIX, RING)) {
            SessionRecord a = record("a.test", null, Duration.ofMinutes(1));
            SessionRecord b = record("b.test", null, Duration.ofMinutes(1));
            put(server, a, b);
            assertTrue(hits(server, a.key()));

            try (SessionAdmin asServer = SessionAdmin.connect(serverUri,
                    AdminOptions.builder().keyPrefix(PREFIX).keyRing(RING).build())) {
                AdminException denied = assertThrows(AdminException.class, () -> asServer.evict(
                        Revocation.serverName("a.test", Instant.now()), SweepOptions.defaults().withDryRun(true), true));
                assertEquals(AdminException.Kind.DENIED, denied.kind());
                assertTrue(denied.getMessage().contains("SCAN") && denied.getMessage().contains("NOPERM"),
                        denied.getMessage());
                assertTrue(denied.getMessage().contains("tls-admin"), denied.getMessage());
                assertFalse(denied.getMessage().contains("server-pw"), denied.getMessage());
                assertEquals(AdminException.Kind.DENIED, assertThrows(AdminException.class,
                        () -> asServer.evictId(a.id(), false)).kind());
                assertEquals(AdminException.Kind.DENIED, assertThrows(AdminException.class, asServer::stats).kind());
                // Scripts run with the caller's rights: without HSET the servers' user cannot write a watermark.
                AdminException noHset = assertThrows(AdminException.class,
                        () -> asServer.writeWatermark(Revocation.serverName("a.test", Instant.now())));
                assertEquals(AdminException.Kind.DENIED, noHset.kind(), noHset.getMessage());
            }
            assertTrue(hits(server, a.key()), "nothing was evicted by the refused attempts");

            try (SessionAdmin admin = SessionAdmin.connect(adminUri,
                    AdminOptions.builder().keyPrefix(PREFIX).keyRing(RING).build())) {
                EvictResult r = admin.evict(Revocation.serverName("a.test", Instant.now()), SweepOptions.defaults(), true);
                assertEquals(1, r.matched());
                assertEquals(1, r.sweep().deleted());
                assertEquals(1, admin.stats().total());
                assertEquals(1, admin.evictId(b.id(), false).matched());
            }
            AdminFixtures.awaitMiss(server, a.key());
            AdminFixtures.awaitMiss(server, b.key());
        }
    }

    @Test
    void wrongPasswordIsDeniedNotUnreachable() {
        AdminException e = assertThrows(AdminException.class, () -> SessionAdmin.connect(
                "redis://tls-admin:wrong-pw@127.0.0.1:" + REDIS.standaloneServer().port(), AdminOptions.defaults()));
        assertEquals(AdminException.Kind.DENIED, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-pw"), e.getMessage());
    }
}
