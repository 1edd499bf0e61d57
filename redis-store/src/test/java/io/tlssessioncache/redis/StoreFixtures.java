package io.tlssessioncache.redis;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TestRecords;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that open stores on real Redis: options, fresh records, closing. */
public final class StoreFixtures implements AutoCloseable {
    /** One key ring shared by every "server" of a test, as a fleet would share a key file. */
    public static final SealingKeyRing RING = SealingKeyRing.generate();

    private final List<AutoCloseable> open = new ArrayList<>();

    /**
     * Options with the shared ring, {@code metrics} and a generous 2 s lookup deadline: most tests are
     * about semantics, and a cold JVM on a loaded 2-core machine can exceed the 50 ms default. Tests
     * of the deadline itself set {@link RedisStoreOptions#DEFAULT_LOOKUP_DEADLINE} again.
     */
    public static RedisStoreOptions.Builder options(CountingMetrics metrics) {
        return RedisStoreOptions.builder().keyRing(RING).metrics(metrics).lookupDeadline(Duration.ofSeconds(2));
    }

    /** The Redis key of a session under the default prefix. */
    public static byte[] redisKey(SessionRecord r) {
        return redisKey(r.key());
    }

    /** The Redis key of a session key under the default prefix. */
    public static byte[] redisKey(io.tlssessioncache.core.SessionKey k) {
        return new KeyLayout(RedisStoreOptions.DEFAULT_KEY_PREFIX).key(k);
    }

    /** Opens a near-cache over {@code uri}, closed with this fixture. */
    public RedisNearCache open(String uri, RedisStoreOptions options) {
        RedisNearCache c = RedisSessionStores.open(uri, options);
        open.add(c);
        return c;
    }

    /** A unique namespace, so tests (and their revocations) do not meet. */
    public static String namespace() {
        return "ns-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A TLS 1.3 record made now (real clock, millisecond precision) living {@code lifetime}. */
    public static SessionRecord fresh(String namespace, Duration lifetime) {
        return TestRecords.builder().namespace(namespace)
                .createdAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .lifetime(lifetime).build();
    }

    public static SessionRecord fresh(String namespace) {
        return fresh(namespace, Duration.ofMinutes(5));
    }

    /** A TLS 1.2 record made now (by default living 5 minutes): the kind near-caches keep (TLS 1.3 tickets they never do). */
    public static SessionRecord reusable(String namespace) {
        return reusable(namespace, Duration.ofMinutes(5));
    }

    public static SessionRecord reusable(String namespace, Duration lifetime) {
        return TestRecords.builder().namespace(namespace).protocol(io.tlssessioncache.core.TlsProtocol.TLS_1_2)
                .createdAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .lifetime(lifetime).build();
    }

    /** Waits (bounded) for a stage; the store's stages must complete, so a hang is a failure. */
    public static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("stage did not complete normally", e);
        }
    }

    /**
     * Waits (bounded) for a write and says whether it was acknowledged; a write that fails is an
     * answer too (the store says it did not store), only a hang fails the test.
     */
    public static boolean acknowledged(CompletionStage<?> stage) {
        try {
            return stage.toCompletableFuture().handle((v, e) -> e == null).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("write did not complete", e);
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : open.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        open.clear();
    }
}
