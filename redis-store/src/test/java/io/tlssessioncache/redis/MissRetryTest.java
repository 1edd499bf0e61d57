package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.await;
import static io.tlssessioncache.redis.StoreFixtures.fresh;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The one retry of a lookup that found nothing (the put/lookup race between two servers), on a
 * real Redis. Commands are counted by Redis itself ({@code INFO commandstats}), so the test sees
 * what reached Redis, not what the client meant to send.
 */
@Timeout(60)
class MissRetryTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    private static final StoreFixtures FIXTURES = new StoreFixtures();

    @AfterAll
    static void closeAll() {
        FIXTURES.close();
    }

    private record Node(RedisSessionStore store, CountingMetrics metrics) {
    }

    private static Node node(Duration missRetryDelay, Duration deadline) {
        CountingMetrics metrics = new CountingMetrics();
        RedisStoreOptions o = StoreFixtures.options(metrics).missRetryDelay(missRetryDelay).lookupDeadline(deadline)
                .build();
        return new Node(FIXTURES.open(REDIS.standaloneServer().uri(), o).remote(), metrics);
    }

    /** How many times Redis has run {@code command} (e.g. "getdel") since it started. */
    private static long calls(String command) {
        String stats = RedisServers.cli(REDIS.standaloneServer().port(), "INFO", "commandstats");
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(stats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static void awaitCalls(String command, long n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (calls(command) < n) {
            assertTrue(System.nanoTime() < until, "Redis never ran " + command + " " + n + " times");
            Thread.sleep(1);
        }
    }

    @Test
    void aTicketStoredJustAfterTheFirstMissIsFoundByTheRetry() throws Exception {
        // The race: server A's asynchronous put reaches Redis after server B's GETDEL. The retry is
        // long here (1 s) so that A's put lands between B's two GETDELs however slow the machine.
        Node a = node(Duration.ofSeconds(1), Duration.ofSeconds(10));
        Node b = node(Duration.ofSeconds(1), Duration.ofSeconds(10));
        SessionRecord r = fresh(namespace());
        long before = calls("getdel");

        CompletionStage<Optional<SessionRecord>> take = b.store().take(r.key());
        awaitCalls("getdel", before + 1); // B's first GETDEL answered nil...
        await(a.store().put(r)); // ...then A's SET arrives

        assertEquals(Optional.of(r), await(take));
        assertEquals(before + 2, calls("getdel"));
        assertEquals(1, b.metrics().count("lookupRetried:found"));
        // single use still holds: the retry consumed it
        assertEquals(Optional.empty(), await(b.store().take(r.key())));
    }

    @Test
    void aGenuineMissIsAskedTwiceThenIsAMiss() {
        Node b = node(Duration.ofMillis(20), Duration.ofSeconds(10));
        SessionKey unknown = new SessionKey(namespace(), SessionId.random());
        long getdels = calls("getdel");
        long gets = calls("get");

        assertEquals(Optional.empty(), await(b.store().take(unknown)));
        assertEquals(Optional.empty(), await(b.store().get(unknown)));

        assertEquals(getdels + 2, calls("getdel"));
        assertEquals(gets + 2, calls("get"));
        assertEquals(2, b.metrics().count("lookupRetried:missing"));
        assertEquals(0, b.metrics().count("storeError:take") + b.metrics().count("storeError:get"));
    }

    @Test
    void aHitIsNotRetried() {
        Node a = node(Duration.ofMillis(20), Duration.ofSeconds(10));
        SessionRecord r = fresh(namespace());
        await(a.store().put(r));
        long getdels = calls("getdel");

        assertEquals(Optional.of(r), await(a.store().take(r.key())));

        assertEquals(getdels + 1, calls("getdel"));
        assertEquals(0, a.metrics().count("lookupRetried:found") + a.metrics().count("lookupRetried:missing"));
    }

    @Test
    void noRetryWhenTurnedOffOrWhenTheDeadlineLeavesNoRoom() {
        SessionKey unknown = new SessionKey(namespace(), SessionId.random());
        Node off = node(Duration.ZERO, Duration.ofSeconds(10));
        // a retry delay as long as the deadline: there is never room for it
        Node noRoom = node(Duration.ofMillis(200), Duration.ofMillis(200));
        long getdels = calls("getdel");

        assertEquals(Optional.empty(), await(off.store().take(unknown)));
        assertEquals(Optional.empty(), await(noRoom.store().take(unknown)));

        assertEquals(getdels + 2, calls("getdel"));
        assertEquals(0, off.metrics().count("lookupRetried:missing") + noRoom.metrics().count("lookupRetried:missing"));
    }

    @Test
    void theDelayMustNotBeNegative() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RedisStoreOptions.builder().missRetryDelay(Duration.ofMillis(-1)));
    }
}
