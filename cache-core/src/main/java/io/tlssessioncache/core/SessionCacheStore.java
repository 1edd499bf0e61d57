package io.tlssessioncache.core;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What {@link InMemorySessionStore} and {@link NearCacheSessionStore} have in common: every call goes
 * through the {@link SessionCache} layer (expiry, revocation, metrics) over their storage.
 * Package-private: the two public stores are the API, {@link SessionCache} stays hidden.
 */
abstract class SessionCacheStore implements SessionStore {
    final SessionCache cache;

    SessionCacheStore(SessionCache cache) {
        this.cache = cache;
    }

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        return cache.put(record);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        return cache.get(key);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        return cache.take(key);
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        return cache.remove(key);
    }

    /** The watermarks this store checks; apply revocations here. */
    public RevocationWatermarks revocations() {
        return cache.revocations();
    }

    /** Drops every entry kept in this process; a near-cache first closes its remote store. */
    @Override
    public void close() {
        cache.close();
    }
}
