/**
 * The core of the TLS session cache: what a session is, where it lives, and how it is protected.
 *
 * <ul>
 *   <li>Model: {@link io.tlssessioncache.core.SessionId} (32 random bytes, the lookup key),
 *       {@link io.tlssessioncache.core.SessionKey} (namespace + protocol + id),
 *       {@link io.tlssessioncache.core.SessionRecord} (engine state + metadata).</li>
 *   <li>Stores: the {@link io.tlssessioncache.core.SessionStore} contract;
 *       {@link io.tlssessioncache.core.InMemorySessionStore} (embedded default) and
 *       {@link io.tlssessioncache.core.NearCacheSessionStore} (Caffeine in front of a remote store).
 *       Both are one layer ({@code SessionCache}: expiry, revocation, fail-open, deadline, retry,
 *       metrics) over a storage that only stores.</li>
 *   <li>Bytes at rest: {@link io.tlssessioncache.core.SessionRecordCodec} (strict, versioned),
 *       {@link io.tlssessioncache.core.SealingKeyRing} (AES-256-GCM with rotation) and
 *       {@link io.tlssessioncache.core.SealedRecordCodec} (both); anything wrong with stored bytes
 *       is an {@link io.tlssessioncache.core.InvalidRecordException}, which callers treat as a miss.</li>
 *   <li>Revocation: {@link io.tlssessioncache.core.Revocation} watermarks held in
 *       {@link io.tlssessioncache.core.RevocationWatermarks}, checked on every hit.</li>
 *   <li>Observability: {@link io.tlssessioncache.core.SessionCacheMetrics}, with an optional
 *       Micrometer implementation {@link io.tlssessioncache.core.MicrometerSessionCacheMetrics}.</li>
 * </ul>
 *
 * <p>Time is injected everywhere (a Caffeine {@code Ticker} for cache time, a {@code Clock} for
 * session expiry), so expiry is tested without sleeping; every cache is bounded.
 */
package io.tlssessioncache.core;
