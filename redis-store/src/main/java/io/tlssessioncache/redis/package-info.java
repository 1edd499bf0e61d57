/**
 * The Redis session store (Lettuce) and its operator API.
 *
 * <p>Servers start at {@link io.tlssessioncache.redis.RedisSessionStores#create}: a Redis URI
 * (standalone, Sentinel or Cluster, with TLS and ACL credentials) and
 * {@link io.tlssessioncache.redis.RedisStoreOptions} give a
 * {@link io.tlssessioncache.core.NearCacheSessionStore} whose {@code close()} closes everything:
 * sealed entries under binary keys, one key space per protocol, single-use takes ({@code GETDEL}),
 * a circuit breaker, and near-caches kept coherent by a pub/sub invalidation channel that also
 * carries revocation watermarks. Operators use {@link io.tlssessioncache.redis.SessionAdmin}
 * (evict, sweep, stats, inspect).
 *
 * <p>Everything else here is package-private: the store itself ({@code RedisSessionStore}, which
 * only stores), the key layout ({@code KeyLayout}, the one place keys, channel and patterns are
 * written), the two halves of the channel, URI parsing, and the admin tools' connection, sweep,
 * error translation and audit log.
 */
package io.tlssessioncache.redis;
