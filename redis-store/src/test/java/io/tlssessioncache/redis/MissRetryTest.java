package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.await;
import static io.tlssessioncache.redis.StoreFixtures.fresh;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a lookup costs Redis: one command per miss by default, the optional retry of a miss (the
 * put/lookup race between two servers), and nothing more once the caller cancelled, on a real
 * Redis. Commands are counted by Redis itself ({@code INFO commandstats}), so the test sees what
 * reached Redis, not what the client meant to send.
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

    private record Node(NearCacheSessionStore store, CountingMetrics metrics) {
    }

    private static Node node(Duration missRetryDelay, Duration deadline) {
        return node(StoreFixtures.options(new CountingMetrics()).missRetryDelay(missRetryDelay).lookupDeadline(deadline));
    }

    private static Node node(RedisStoreOptions.Builder options) {
        RedisStoreOptions o = options.build();
        return new Node(FIXTURES.open(REDIS.standaloneServer().uri(), o).store(), (CountingMetrics) o.metrics());
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
    void aTicketTakeIsOneGetdelAndAnnouncesNothingWhileATls12TakeAnnounces() throws Exception {
        // No near-cache keeps TLS 1.3 records, so announcing a ticket's take to every server would be
        // a PUBLISH (and a message on every server) per resumption for nothing.
        Node a = node(Duration.ZERO, Duration.ofSeconds(10));
        Node b = node(Duration.ZERO, Duration.ofSeconds(10));
        SessionRecord ticket = fresh(namespace());
        SessionRecord session = StoreFixtures.reusable(namespace());
        await(a.store().put(ticket));
        await(a.store().put(session));
        assertEquals(1, a.store().estimatedLocalSize(), "A keeps the TLS 1.2 session only");
        long getdels = calls("getdel");
        long publishes = calls("publish");

        assertEquals(Optional.of(ticket), await(b.store().take(ticket.key())));
        assertEquals(getdels + 1, calls("getdel"));
        assertEquals(publishes, calls("publish"), "a ticket's take announces nothing");

        assertEquals(Optional.of(session), await(b.store().take(session.key())));
        awaitCalls("publish", publishes + 1); // A's copy of a TLS 1.2 session must go
        assertEquals(Optional.empty(), await(a.store().get(session.key())));
    }

    @Test
    void aGenuineMissIsAskedTwiceThenIsAMiss() {
        Node b = node(Duration.ofMillis(20), Duration.ofSeconds(10));
        SessionKey unknown = new SessionKey(namespace(), TlsProtocol.TLS_1_3, SessionId.random());
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
        SessionKey unknown = new SessionKey(namespace(), TlsProtocol.TLS_1_3, SessionId.random());
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
    void byDefaultABogusIdCostsOneCommand() {
        Node b = node(StoreFixtures.options(new CountingMetrics()));
        long getdels = calls("getdel");
        long gets = calls("get");
        assertEquals(Optional.empty(), await(b.store().take(new SessionKey(namespace(), TlsProtocol.TLS_1_3,
                SessionId.random()))));
        assertEquals(Optional.empty(), await(b.store().get(new SessionKey(namespace(), TlsProtocol.TLS_1_2,
                SessionId.random()))));
        assertEquals(getdels + 1, calls("getdel"));
        assertEquals(gets + 1, calls("get"));
        assertEquals(Duration.ZERO, RedisStoreOptions.defaults().missRetryDelay());
    }

    @Test
    void noRetryIsSentAfterTheLookupWasCancelled() throws Exception {
        Node b = node(Duration.ofMillis(500), Duration.ofSeconds(10));
        long before = calls("getdel");
        CompletableFuture<Optional<SessionRecord>> take = b.store().take(new SessionKey(namespace(),
                TlsProtocol.TLS_1_3, SessionId.random())).toCompletableFuture();
        awaitCalls("getdel", before + 1); // the first GETDEL answered nil: the retry waits
        assertTrue(take.cancel(false)); // the client closed the connection
        Thread.sleep(1_000);
        assertEquals(before + 1, calls("getdel"), "no retry after cancellation");
        assertEquals(0, b.metrics().count("lookupRetried:missing") + b.metrics().count("miss"),
                "a cancelled lookup has no outcome");
    }

    @Test
    void aLookupCancelledBeforeItsCommandWasWrittenSendsNothing() throws Exception {
        // Lettuce on one borrowed event loop, held busy: the GET waits in its task queue, unwritten.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Node b = node(StoreFixtures.options(new CountingMetrics()).eventLoopGroup(group));
            SessionKey unknown = new SessionKey(namespace(), TlsProtocol.TLS_1_2, SessionId.random());
            await(b.store().get(unknown)); // connected and warm
            long gets = calls("get");
            CountDownLatch release = new CountDownLatch(1);
            group.next().execute(() -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<Optional<SessionRecord>> lookup = b.store().get(unknown).toCompletableFuture();
            assertTrue(lookup.cancel(false)); // the client left before the command went out
            release.countDown();
            await(b.store().get(new SessionKey(namespace(), TlsProtocol.TLS_1_2, SessionId.random()))); // a marker
            awaitCalls("get", gets + 1);
            assertEquals(gets + 1, calls("get"), "only the marker's GET reached Redis");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDelayMustNotBeNegative() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RedisStoreOptions.builder().missRetryDelay(Duration.ofMillis(-1)));
    }
}
