package io.tlssessioncache.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisURI;
import io.tlssessioncache.core.FakeTime;
import io.tlssessioncache.core.SealingKeyRing;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** URI parsing, option validation and the circuit breaker: no Redis needed. */
class RedisSessionStoresTest {

    @Test
    void standaloneUris() {
        RedisUris.Target t = RedisUris.parse("redis://app:pw@10.0.0.5:6380/2");
        assertFalse(t.cluster());
        RedisURI u = t.uris().getFirst();
        assertEquals("10.0.0.5", u.getHost());
        assertEquals(6380, u.getPort());
        assertEquals(2, u.getDatabase());
        var credentials = u.getCredentialsProvider().resolveCredentials().block();
        assertEquals("app", credentials.getUsername());
        assertEquals("pw", new String(credentials.getPassword()));
        assertFalse(u.isSsl());
        assertTrue(RedisUris.parse("rediss://h:6379").uris().getFirst().isSsl());
        assertEquals("/run/redis.sock", RedisUris.parse("redis-socket:///run/redis.sock").uris().getFirst().getSocket());
    }

    @Test
    void sentinelUris() {
        RedisURI u = RedisUris.parse("redis-sentinel://:pw@s1:26379,s2:26380/?sentinelMasterId=mymaster")
                .uris().getFirst();
        assertEquals("mymaster", u.getSentinelMasterId());
        assertEquals(2, u.getSentinels().size());
        assertEquals(26380, u.getSentinels().get(1).getPort());
    }

    @Test
    void clusterUris() {
        RedisUris.Target t = RedisUris.parse("redis-cluster://u:p@a:7000,b:7001, c:7002");
        assertTrue(t.cluster());
        List<RedisURI> seeds = t.uris();
        assertEquals(3, seeds.size());
        assertEquals("c", seeds.get(2).getHost());
        assertEquals(7002, seeds.get(2).getPort());
        assertEquals("u", seeds.get(1).getCredentialsProvider().resolveCredentials().block().getUsername());
        assertFalse(seeds.getFirst().isSsl());
        assertTrue(RedisUris.parse("rediss-cluster://a:7000,b:7001").uris().get(1).isSsl());
    }

    @Test
    void badUrisAreClearErrorsWithoutPasswords() {
        for (String bad : List.of("", "localhost:6379", "http://u:secretpw@h:1", "memcached://h:11211",
                "redis-cluster://u:secretpw@a:1,,b:2", "redis:secretpw@h", "redis://u:secretpw")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisUris.parse(bad));
            assertFalse(e.getMessage().contains("secretpw"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RedisUris.parse("http://h:1"))
                .getMessage().contains("redis-cluster://"), "the message lists the accepted forms");
    }

    @Test
    void redactedFormsAreRebuiltFromWhatParsed() {
        assertEquals("redis://***@h:1/2", RedisSessionStores.redact("redis://u:pw@h:1/2"));
        assertEquals("redis://***@h:1", RedisSessionStores.redact("redis://:pw@h:1/0"));
        assertEquals("redis://h:1", RedisSessionStores.redact("redis://h:1"));
        assertEquals("redis-cluster://***@a:1,b:2", RedisSessionStores.redact("redis-cluster://u:p@a:1,b:2"));
        assertEquals("redis-sentinel://s1:26379,s2:26380?sentinelMasterId=m",
                RedisSessionStores.redact("redis-sentinel://s1:26379,s2:26380/?sentinelMasterId=m"));
        assertEquals("redis-socket:///run/redis.sock", RedisSessionStores.redact("redis-socket:///run/redis.sock"));
        assertEquals("(not a Redis URI)", RedisSessionStores.redact("redis:secret@h"));
        assertEquals("redis://(unparseable)", RedisSessionStores.redact("redis://u:secret"));
    }

    @Test
    void optionsValidateAndHideKeys() {
        assertThrows(IllegalArgumentException.class, () -> RedisStoreOptions.builder().keyPrefix("a b"));
        assertThrows(IllegalArgumentException.class, () -> RedisStoreOptions.builder().lookupDeadline(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RedisStoreOptions.builder().breakerFailureThreshold(0));
        RedisStoreOptions o = RedisStoreOptions.builder().keyRing(SealingKeyRing.generate())
                .lookupDeadline(Duration.ofSeconds(3)).build();
        assertEquals(Duration.ofSeconds(3), o.commandTimeout(), "the command timeout is never below the deadline");
        assertEquals(o.keyPrefix(), o.toBuilder().build().keyPrefix());
    }

    @Test
    void breakerOpensAfterConsecutiveFailuresProbesAndCloses() {
        FakeTime time = new FakeTime();
        CircuitBreaker b = new CircuitBreaker(time, 3, Duration.ofSeconds(1));
        assertTrue(b.tryAcquire());
        b.onFailure();
        b.onFailure();
        b.onSuccess(); // resets the count: failures must be consecutive
        b.onFailure();
        b.onFailure();
        assertEquals(CircuitBreaker.State.CLOSED, b.state());
        b.onFailure();
        assertEquals(CircuitBreaker.State.OPEN, b.state());
        assertFalse(b.tryAcquire());
        time.advance(Duration.ofMillis(999));
        assertFalse(b.tryAcquire());
        time.advance(Duration.ofMillis(1));
        assertTrue(b.tryAcquire(), "one probe after the cool-down");
        assertEquals(CircuitBreaker.State.HALF_OPEN, b.state());
        assertFalse(b.tryAcquire(), "only one probe at a time");
        b.onFailure();
        assertEquals(CircuitBreaker.State.OPEN, b.state(), "a failed probe re-opens");
        assertFalse(b.tryAcquire());
        time.advance(Duration.ofSeconds(1));
        assertTrue(b.tryAcquire());
        b.onSuccess();
        assertEquals(CircuitBreaker.State.CLOSED, b.state(), "a good probe closes");
        assertTrue(b.tryAcquire());
    }

    @Test
    void oneShardsFailuresOpenOnlyItsOwnBreakerAndTheMapStaysBounded() {
        FakeTime time = new FakeTime();
        RedisStoreOptions o = RedisStoreOptions.builder().keyRing(SealingKeyRing.generate()).ticker(time).build();
        ShardBreakers shards = new ShardBreakers(o, key -> "shard-" + key[0]);
        byte[] onA = {1};
        byte[] onB = {2};
        assertSame(shards.forKey(onA), shards.forKey(new byte[] {1}), "one breaker per shard, not per key");
        for (int i = 0; i < o.breakerFailureThreshold(); i++) {
            shards.forKey(onA).onFailure();
        }
        assertFalse(shards.forKey(onA).tryAcquire(), "shard A's breaker is open");
        assertTrue(shards.forKey(onB).tryAcquire(), "shard B's is not");
        assertFalse(shards.noneOpen());

        ShardBreakers many = new ShardBreakers(o, key -> "node-" + (key[0] & 0xff) + "-" + (key[1] & 0xff));
        for (int i = 0; i < 3 * ShardBreakers.MAX_SHARDS; i++) {
            many.forKey(new byte[] {(byte) i, (byte) (i >> 8)});
            assertTrue(many.size() <= ShardBreakers.MAX_SHARDS, "bounded");
        }
    }

    @Test
    void aProbeThatNeverReportsDoesNotWedgeTheBreaker() {
        FakeTime time = new FakeTime();
        CircuitBreaker b = new CircuitBreaker(time, 1, Duration.ofSeconds(1));
        b.onFailure();
        time.advance(Duration.ofSeconds(1));
        assertTrue(b.tryAcquire());
        time.advance(Duration.ofSeconds(1));
        assertTrue(b.tryAcquire(), "another probe after one more cool-down");
    }
}
