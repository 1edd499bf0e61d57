package io.tlssessioncache.redis.admin;

import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One stored session's metadata, never its secrets (no state bytes, no sealed value).
 * When the entry could not be opened ({@code readable == false}: no key ring, or sealed under a
 * key this ring does not have) only the key, TTL and sealed size are known; the rest is {@code null}.
 *
 * @param redisKey       the Redis key
 * @param key            namespace and id
 * @param ttlMillis      Redis' remaining time to live in ms (-1: none, -2: gone)
 * @param sealedSize     bytes of the sealed value in Redis
 * @param readable       whether the value opened
 * @param clientIdentity SHA-256 of the client certificate, 64 hex digits, or {@code null}
 * @param stateSize      bytes of the engine's serialized session (its content is never shown)
 */
public record SessionInfo(String redisKey, SessionKey key, long ttlMillis, int sealedSize, boolean readable,
        TlsProtocol protocol, String cipherSuite, String serverName, String applicationProtocol,
        String clientIdentity, Instant createdAt, Instant expiresAt, Integer stateSize) {

    static SessionInfo of(String redisKey, SessionKey key, long ttl, int sealedSize, SessionRecord r) {
        if (r == null) {
            return new SessionInfo(redisKey, key, ttl, sealedSize, false, null, null, null, null, null, null, null,
                    null);
        }
        byte[] c = r.clientIdentity();
        return new SessionInfo(redisKey, key, ttl, sealedSize, true, r.protocol(), r.cipherSuite(), r.serverName(),
                r.applicationProtocol(), c == null ? null : HexFormat.of().formatHex(c), r.createdAt(),
                r.expiresAt(), r.state().length);
    }
}
