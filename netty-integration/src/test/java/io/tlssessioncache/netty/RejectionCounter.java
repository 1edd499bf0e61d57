package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionCacheMetrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts {@code rejected(reason)}; everything else is ignored. */
final class RejectionCounter implements SessionCacheMetrics {
    final Map<String, AtomicInteger> rejected = new ConcurrentHashMap<>();

    int count(String reason) {
        AtomicInteger n = rejected.get(reason);
        return n == null ? 0 : n.get();
    }

    @Override
    public void rejected(String reason) {
        rejected.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void lookup() {
    }

    @Override
    public void nearHit() {
    }

    @Override
    public void storeHit() {
    }

    @Override
    public void miss() {
    }

    @Override
    public void put() {
    }

    @Override
    public void take() {
    }

    @Override
    public void storeError(String operation) {
    }

    @Override
    public void droppedWrite() {
    }

    @Override
    public void lookupLatency(long nanos) {
    }
}
