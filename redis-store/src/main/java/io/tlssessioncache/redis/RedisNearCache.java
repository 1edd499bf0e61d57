package io.tlssessioncache.redis;

import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.RevocationWatermarks;

/**
 * A coherent near-cache over Redis, as made by {@link RedisSessionStores#open}: the
 * {@link #store() store} servers use, the {@link #remote() Redis store} behind it, and the two
 * halves of the invalidation channel. Closing it (or its store) closes the subscriber, the
 * connections and the Lettuce client.
 */
record RedisNearCache(NearCacheSessionStore store, RedisSessionStore remote, InvalidationPublisher publisher,
        InvalidationSubscriber subscriber) implements AutoCloseable {

    /** The watermarks every lookup of this process checks (loaded from Redis, updated by messages). */
    RevocationWatermarks revocations() {
        return store.revocations();
    }

    @Override
    public void close() {
        store.close(); // closes the remote, which owns the Lettuce resources
    }
}
