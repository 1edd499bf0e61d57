package io.tlssessioncache.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link SessionCacheMetrics} on a Micrometer {@link MeterRegistry}. The only class of cache-core
 * that touches Micrometer (an optional dependency): load it only when the application has one.
 *
 * <p>Meters (all with the given common tags): counters {@code tls.session.cache.lookups},
 * {@code .near.hits}, {@code .store.hits}, {@code .misses}, {@code .puts}, {@code .takes},
 * {@code .rejected} (tag {@code reason}), {@code .store.errors} (tag {@code operation}),
 * {@code .writes.dropped}, {@code .lookup.retries} (tag {@code result}: {@code found} or
 * {@code missing}), {@code .not.awaited} (tag {@code operation}: {@code lookup} or {@code put}), and
 * the timer {@code tls.session.cache.lookup.latency}.
 */
public final class MicrometerSessionCacheMetrics implements SessionCacheMetrics {
    static final String PREFIX = "tls.session.cache.";
    // Reasons and operations come from code, not input; the cap is a guard against misuse.
    private static final int MAX_TAG_VALUES = 64;

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter lookups;
    private final Counter nearHits;
    private final Counter storeHits;
    private final Counter misses;
    private final Counter puts;
    private final Counter takes;
    private final Counter dropped;
    private final Counter retriesFound;
    private final Counter retriesMissing;
    private final Timer latency;
    private final ConcurrentHashMap<String, Counter> rejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> errors = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> notAwaited = new ConcurrentHashMap<>();

    private MicrometerSessionCacheMetrics(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
        this.lookups = counter("lookups", "Session lookups (get and take)");
        this.nearHits = counter("near.hits", "Lookups answered by the local near-cache");
        this.storeHits = counter("store.hits", "Lookups answered by the session store");
        this.misses = counter("misses", "Lookups that found no live session");
        this.puts = counter("puts", "Sessions stored");
        this.takes = counter("takes", "Single-use (TLS 1.3) takes attempted");
        this.dropped = counter("writes.dropped", "Session writes dropped");
        this.retriesFound = retries("found");
        this.retriesMissing = retries("missing");
        this.latency = Timer.builder(PREFIX + "lookup.latency")
                .description("Time from lookup to answer")
                .tags(tags)
                .register(registry);
    }

    /**
     * Metrics recorded to {@code registry}, each meter carrying {@code tags} (key/value pairs, e.g.
     * {@code "store", "redis"}).
     */
    public static SessionCacheMetrics create(MeterRegistry registry, String... tags) {
        Objects.requireNonNull(registry, "registry");
        return new MicrometerSessionCacheMetrics(registry, Tags.of(tags));
    }

    private Counter counter(String name, String description) {
        return Counter.builder(PREFIX + name).description(description).tags(tags).register(registry);
    }

    private Counter retries(String result) {
        return Counter.builder(PREFIX + "lookup.retries")
                .description("Remote lookups that found nothing and were sent once more")
                .tags(tags).tag("result", result).register(registry);
    }

    private Counter tagged(ConcurrentHashMap<String, Counter> cache, String name, String tag, String value) {
        String v = value == null ? "unknown" : value;
        Counter c = cache.get(v);
        if (c != null) {
            return c;
        }
        if (cache.size() >= MAX_TAG_VALUES) {
            v = "other";
        }
        return cache.computeIfAbsent(v, k -> Counter.builder(PREFIX + name).tags(tags).tag(tag, k).register(registry));
    }

    @Override
    public void lookup() {
        lookups.increment();
    }

    @Override
    public void nearHit() {
        nearHits.increment();
    }

    @Override
    public void storeHit() {
        storeHits.increment();
    }

    @Override
    public void miss() {
        misses.increment();
    }

    @Override
    public void put() {
        puts.increment();
    }

    @Override
    public void take() {
        takes.increment();
    }

    @Override
    public void rejected(String reason) {
        tagged(rejected, "rejected", "reason", reason).increment();
    }

    @Override
    public void storeError(String operation) {
        tagged(errors, "store.errors", "operation", operation).increment();
    }

    @Override
    public void droppedWrite() {
        dropped.increment();
    }

    @Override
    public void lookupLatency(long nanos) {
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void lookupRetried(boolean found) {
        (found ? retriesFound : retriesMissing).increment();
    }

    @Override
    public void notAwaited(String operation) {
        tagged(notAwaited, "not.awaited", "operation", operation).increment();
    }

    @Override
    public String toString() {
        return "MicrometerSessionCacheMetrics" + tags;
    }
}
