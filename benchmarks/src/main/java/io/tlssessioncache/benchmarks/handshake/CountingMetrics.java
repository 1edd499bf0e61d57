package io.tlssessioncache.benchmarks.handshake;

import io.tlssessioncache.core.SessionCacheMetrics;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts what the stores and lookup handlers of one scenario report, to explain a resumption that did not happen. */
final class CountingMetrics implements SessionCacheMetrics {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    long get(String what) {
        LongAdder a = counts.get(what);
        return a == null ? 0 : a.sum();
    }

    /** e.g. "lookups 812, near hits 0, store hits 790, misses 22, error:lookup-deadline 3". */
    String summary() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(counts).forEach((k, v) -> {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(k).append(' ').append(v.sum());
        });
        if (latency.getTotalCount() > 0) {
            sb.append(", store lookup p50/p99 ").append(lookupLatency());
        }
        return sb.isEmpty() ? "–" : sb.toString();
    }

    @Override
    public void lookup() {
        count("lookups");
    }

    @Override
    public void nearHit() {
        count("near hits");
    }

    @Override
    public void storeHit() {
        count("store hits");
    }

    @Override
    public void miss() {
        count("misses");
    }

    @Override
    public void put() {
        count("puts");
    }

    @Override
    public void take() {
        count("takes");
    }

    @Override
    public void rejected(String reason) {
        count("rejected:" + reason);
    }

    @Override
    public void storeError(String operation) {
        count("error:" + operation);
    }

    @Override
    public void droppedWrite() {
        count("dropped writes");
    }

    private final org.HdrHistogram.ConcurrentHistogram latency = new org.HdrHistogram.ConcurrentHistogram(3);

    @Override
    public void lookupLatency(long nanos) {
        latency.recordValue(Math.max(1, nanos / 1000));
    }

    /** p50 / p99 of the stores' own lookup latency (from the call until the store's answer), µs. */
    String lookupLatency() {
        return latency.getTotalCount() == 0 ? "–"
                : latency.getValueAtPercentile(50) + " / " + latency.getValueAtPercentile(99) + " µs";
    }

    @Override
    public void lookupRetried(boolean found) {
        count(found ? "retries found" : "retries missing");
    }
}
