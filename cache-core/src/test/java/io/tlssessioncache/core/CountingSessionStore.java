package io.tlssessioncache.core;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a store and counts the calls made to it, to prove which layer answered (in the spirit of
 * rustls' resumption tests). {@link #failing(boolean)} makes every call fail, to simulate an outage.
 */
public final class CountingSessionStore implements SessionStore {
    private final SessionStore delegate;
    private final AtomicInteger puts = new AtomicInteger();
    private final AtomicInteger gets = new AtomicInteger();
    private final AtomicInteger takes = new AtomicInteger();
    private final AtomicInteger removes = new AtomicInteger();
    private final AtomicInteger closes = new AtomicInteger();
    private final AtomicBoolean failing = new AtomicBoolean();

    public CountingSessionStore(SessionStore delegate) {
        this.delegate = delegate;
    }

    /** Counts calls to a fresh {@link InMemorySessionStore}. */
    public static CountingSessionStore overInMemory() {
        return new CountingSessionStore(InMemorySessionStore.builder().build());
    }

    /** From now on, every call (still counted) completes exceptionally, or works again. */
    public CountingSessionStore failing(boolean fail) {
        failing.set(fail);
        return this;
    }

    private <T> CompletionStage<T> maybeFail(CompletionStage<T> call) {
        return failing.get() ? CompletableFuture.failedFuture(new IllegalStateException("store down (test)")) : call;
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        puts.incrementAndGet();
        return failing.get() ? maybeFail(null) : delegate.put(record);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        gets.incrementAndGet();
        return failing.get() ? maybeFail(null) : delegate.get(key);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        takes.incrementAndGet();
        return failing.get() ? maybeFail(null) : delegate.take(key);
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        removes.incrementAndGet();
        return failing.get() ? maybeFail(null) : delegate.remove(key);
    }

    @Override
    public void close() {
        closes.incrementAndGet();
        delegate.close();
    }

    public int puts() {
        return puts.get();
    }

    public int gets() {
        return gets.get();
    }

    public int takes() {
        return takes.get();
    }

    public int removes() {
        return removes.get();
    }

    public int closes() {
        return closes.get();
    }

    /** Sets every counter back to zero. */
    public void reset() {
        puts.set(0);
        gets.set(0);
        takes.set(0);
        removes.set(0);
        closes.set(0);
    }

    public SessionStore delegate() {
        return delegate;
    }

    @Override
    public String toString() {
        return "CountingSessionStore[puts=" + puts + ", gets=" + gets + ", takes=" + takes + ", removes="
                + removes + ", over " + delegate + "]";
    }
}
