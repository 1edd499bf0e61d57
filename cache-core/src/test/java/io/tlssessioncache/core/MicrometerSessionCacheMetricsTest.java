package io.tlssessioncache.core;

import static io.tlssessioncache.core.InMemorySessionStoreTest.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MicrometerSessionCacheMetricsTest {
    final MeterRegistry registry = new SimpleMeterRegistry();
    final SessionCacheMetrics metrics = MicrometerSessionCacheMetrics.create(registry, "store", "test");
    final FakeTime time = new FakeTime();

    double count(String name) {
        return registry.get("tls.session.cache." + name).tag("store", "test").counter().count();
    }

    double count(String name, String tag, String value) {
        return registry.get("tls.session.cache." + name).tag(tag, value).counter().count();
    }

    @Test
    void inMemoryStoreMovesTheCounters() {
        // The ticker stands still while the clock moves: the record expires before Caffeine drops it,
        // so the store itself must reject it.
        InMemorySessionStore store = InMemorySessionStore.builder().ticker(new FakeTime()).clock(time.clock())
                .metrics(metrics).build();
        SessionRecord r = TestRecords.createdNow(time, Duration.ofSeconds(10));
        now(store.put(r));
        now(store.get(r.key()));
        now(store.get(TestRecords.sample().key()));
        now(store.take(r.key()));
        SessionRecord expiring = TestRecords.createdNow(time, Duration.ofSeconds(1));
        now(store.put(expiring));
        time.advance(Duration.ofSeconds(1));
        now(store.get(expiring.key()));

        assertEquals(2, count("puts"));
        assertEquals(4, count("lookups"));
        assertEquals(2, count("store.hits"));
        assertEquals(2, count("misses"));
        assertEquals(1, count("takes"));
        assertEquals(1, count("rejected", "reason", "expired"));
        assertEquals(4, registry.get("tls.session.cache.lookup.latency").timer().count());
    }

    @Test
    void nearCacheMovesTheCounters() {
        CountingSessionStore remote = CountingSessionStore.overInMemory();
        RevocationWatermarks revocations = new RevocationWatermarks();
        NearCacheSessionStore near = NearCacheSessionStore.builder(remote).ticker(time).clock(time.clock())
                .revocations(revocations).metrics(metrics).build();
        SessionRecord r = TestRecords.builder().protocol(TlsProtocol.TLS_1_2).createdAt(java.time.Instant.now()).build();
        now(near.put(r));
        near.getIfPresent(r.key());
        now(near.get(r.key()));
        near.invalidate(r.key());
        now(near.get(r.key()));
        revocations.apply(Revocation.all(r.createdAt().plusMillis(1)));
        now(near.get(r.key()));
        remote.failing(true);
        near.take(r.key());

        assertEquals(1, count("puts"));
        assertEquals(2, count("near.hits"));
        assertEquals(1, count("store.hits"));
        assertEquals(2, count("misses"), "the revoked local copy, then the revoked remote answer: one miss;"
                + " the failing take: another");
        assertEquals(2, count("rejected", "reason", "revoked"));
        assertEquals(1, count("store.errors", "operation", "take"));
        assertEquals(5, count("lookups"));
    }

    @Test
    void otherMeters() {
        metrics.droppedWrite();
        metrics.storeError("put");
        metrics.rejected("tampered");
        assertEquals(1, count("writes.dropped"));
        assertEquals(1, count("store.errors", "operation", "put"));
        assertEquals(1, count("rejected", "reason", "tampered"));
        assertNotNull(SessionCacheMetrics.noop());
        SessionCacheMetrics.noop().rejected("x"); // does nothing, throws nothing
    }
}
