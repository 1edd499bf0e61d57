package io.tlssessioncache.core;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts every metrics call by name ("rejected:tampered", "storeError:get", "droppedWrite", ...),
 * for tests of any module and the benchmarks' explanations of a resumption that did not happen;
 * keeps the last lookup latencies for {@link #summary()}.
 */
public final class CountingMetrics implements SessionCacheMetrics {
    private static final int LATENCIES = 1 << 16; // the most recent ones: bounded, enough for percentiles

    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final AtomicLongArray latencies = new AtomicLongArray(LATENCIES);
    private final AtomicLong latencyCount = new AtomicLong();

    private void inc(String name) {
        counts.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    /** The count of {@code name} so far. */
    public long count(String name) {
        LongAdder a = counts.get(name);
        return a == null ? 0 : a.sum();
    }

    public void reset() {
        counts.clear();
        latencyCount.set(0);
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    @Override
    public void lookup() {
        inc("lookup");
    }

    @Override
    public void nearHit() {
        inc("nearHit");
    }

    @Override
    public void storeHit() {
        inc("storeHit");
    }

    @Override
    public void miss() {
        inc("miss");
    }

    @Override
    public void put() {
        inc("put");
    }

    @Override
    public void take() {
        inc("take");
    }

    @Override
    public void rejected(String reason) {
        inc("rejected:" + reason);
    }

    @Override
    public void storeError(String operation) {
        inc("storeError:" + operation);
    }

    @Override
    public void droppedWrite() {
        inc("droppedWrite");
    }

    @Override
    public void lookupLatency(long nanos) {
        inc("lookupLatency");
        latencies.set((int) (latencyCount.getAndIncrement() & (LATENCIES - 1)), nanos);
    }

    /** Every count, e.g. "lookup 812, miss 22, storeHit 790, ..., lookup latency p50/p99 41 / 180 µs". */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        snapshot().forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
        int n = (int) Math.min(latencyCount.get(), LATENCIES);
        if (n > 0) {
            long[] sorted = new long[n];
            for (int i = 0; i < n; i++) {
                sorted[i] = latencies.get(i);
            }
            Arrays.sort(sorted);
            sb.append(", lookup latency p50/p99 ").append(sorted[n / 2] / 1000).append(" / ")
                    .append(sorted[Math.min(n - 1, (int) (n * 0.99))] / 1000).append(" µs");
        }
        return sb.isEmpty() ? "–" : sb.toString();
    }

    @Override
    public void lookupRetried(boolean found) {
        inc(found ? "lookupRetried:found" : "lookupRetried:missing");
    }

    @Override
    public String toString() {
        return "CountingMetrics" + snapshot();
    }
}
