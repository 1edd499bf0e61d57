package io.tlssessioncache.redis;

import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.RevocationWatermarks;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.core.SessionStoreContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * cache-core's store contract (exact-key lookups, get leaves, take deletes — also under 16
 * concurrent takers —, remove, namespace isolation, revocations) against the product's fleet store:
 * the near-cache over Redis, on a real cluster Redis.
 */
class RedisClusterStoreContractTest extends SessionStoreContract {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.cluster();

    private RedisNearCache current;

    @Override
    protected SessionStore createStore() {
        current = RedisSessionStores.open(REDIS.clusterServers().uri(), StoreFixtures.options(new CountingMetrics()).build());
        return current.store();
    }

    @Override
    protected RevocationWatermarks revocations() {
        return current.revocations();
    }
}
