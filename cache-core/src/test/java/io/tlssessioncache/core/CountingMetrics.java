package io.tlssessioncache.core;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts every metrics call by name ("rejected:tampered", "storeError:get", "droppedWrite", ...), for tests of any module. */
public final class CountingMetrics implements SessionCacheMetrics {
    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

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
