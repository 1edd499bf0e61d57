package io.tlssessioncache.redis;

import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One stored session's metadata, never its secrets (no state bytes, no sealed value). The cipher
 * suite and ALPN protocol are not stored apart from the (sealed) engine state, so they are not
 * shown. When the entry could not be opened ({@code readable == false}: no key ring, or sealed
 * under a key this ring does not have) only the key, TTL and sealed size are known; the rest is
 * {@code null}.
 *
 * @param key            namespace, protocol and id
 * @param ttlMillis      Redis' remaining time to live in ms (-1: none, -2: gone)
 * @param sealedSize     bytes of the sealed value in Redis
 * @param readable       whether the value opened
 * @param serverName     the SNI host name, or {@code null}
 * @param clientIdentity SHA-256 of the client certificate, 64 hex digits, or {@code null}
 * @param stateSize      bytes of the engine's serialized session (its content is never shown)
 */
public record SessionInfo(SessionKey key, long ttlMillis, int sealedSize, boolean readable, String serverName,
        String clientIdentity, Instant createdAt, Instant expiresAt, Integer stateSize) {

    static SessionInfo of(SessionKey key, long ttl, int sealedSize, SessionRecord r) {
        if (r == null) {
            return new SessionInfo(key, ttl, sealedSize, false, null, null, null, null, null);
        }
        byte[] c = r.clientIdentity();
        return new SessionInfo(key, ttl, sealedSize, true, r.serverName(), c == null ? null : HexFormat.of().formatHex(c),
                r.createdAt(), r.expiresAt(), r.state().length);
    }
}
