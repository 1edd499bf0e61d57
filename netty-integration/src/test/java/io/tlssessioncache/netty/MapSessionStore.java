package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The simplest store: a map (tests only; no expiry). */
final class MapSessionStore implements SessionStore {
    final ConcurrentMap<SessionKey, SessionRecord> map = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        map.put(record.key(), record);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        return CompletableFuture.completedFuture(Optional.ofNullable(map.get(key)));
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        return CompletableFuture.completedFuture(Optional.ofNullable(map.remove(key)));
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        return CompletableFuture.completedFuture(map.remove(key) != null);
    }
}
