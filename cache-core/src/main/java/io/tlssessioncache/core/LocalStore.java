package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Cache;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The embedded storage: a bounded Caffeine map whose entries go when their records expire. It only
 * stores ({@link SessionCache} judges what it returns); every stage is complete when returned.
 * {@link #take} is {@code ConcurrentMap.remove}: of any number of concurrent takes, one gets it.
 */
final class LocalStore implements SessionStore {
    private final Cache<SessionKey, SessionRecord> cache;

    LocalStore(Cache<SessionKey, SessionRecord> cache) {
        this.cache = cache;
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        cache.put(record.key(), record);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        return CompletableFuture.completedFuture(Optional.ofNullable(cache.getIfPresent(key)));
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        return CompletableFuture.completedFuture(Optional.ofNullable(cache.asMap().remove(key)));
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        return CompletableFuture.completedFuture(cache.asMap().remove(key) != null);
    }

    long estimatedSize() {
        return cache.estimatedSize();
    }

    void cleanUp() {
        cache.cleanUp();
    }

    @Override
    public void close() {
        cache.invalidateAll();
    }

    @Override
    public String toString() {
        return "~" + cache.estimatedSize() + " entries";
    }
}
