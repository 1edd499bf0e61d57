package io.tlssessioncache.redis;

import io.tlssessioncache.core.Revocation;
import java.util.List;
import java.util.Map;

/**
 * Counts over the stored sessions.
 *
 * @param total        session entries under the prefix
 * @param metadata     whether entries were opened (a key ring was given); if not, only {@code total} is known
 * @param unreadable   entries that did not open with the key ring
 * @param revoked      readable entries already covered by a watermark (unreachable, waiting for a sweep or their TTL)
 * @param byServerName readable entries per SNI host name ({@code "(none)"} without SNI), most first
 * @param byProtocol   readable entries per protocol (e.g. {@code TLSv1.3})
 * @param watermarks   the revocation watermarks stored in Redis
 * @param masters      Redis masters scanned
 */
public record SessionStats(long total, boolean metadata, long unreadable, long revoked,
        Map<String, Long> byServerName, Map<String, Long> byProtocol, List<Revocation> watermarks, int masters) {
}
