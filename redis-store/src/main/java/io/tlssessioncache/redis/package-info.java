/**
 * The Redis session store (Lettuce): sealed entries with single-use takes ({@code GETDEL}),
 * fail-open lookups (deadline + circuit breaker), and coherent near-caches kept in step by a
 * pub/sub invalidation channel that also carries revocation watermarks.
 *
 * <p>Start at {@link io.tlssessioncache.redis.RedisSessionStores#create}: a Redis URI
 * (standalone, Sentinel or Cluster, with TLS and ACL credentials) and
 * {@link io.tlssessioncache.redis.RedisStoreOptions} give a
 * {@link io.tlssessioncache.core.NearCacheSessionStore} whose {@code close()} closes everything.
 * {@link io.tlssessioncache.redis.RedisSessionStores#open} also returns the parts
 * ({@link io.tlssessioncache.redis.RedisNearCache}): the Redis store itself and the
 * {@link io.tlssessioncache.redis.RedisInvalidations} channel, for admin tools. A process that
 * must not subscribe publishes through {@link io.tlssessioncache.redis.InvalidationPublisher}.
 */
package io.tlssessioncache.redis;
