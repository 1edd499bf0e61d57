package io.tlssessioncache.redis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per eviction on the logger {@value SessionAdmin#AUDIT_LOGGER}: what was asked, the
 * watermark, how many matched and were deleted, when, the operating-system user, the store (its
 * URI redacted). Never a value or a secret.
 */
final class AuditLog {
    private static final Logger AUDIT = LoggerFactory.getLogger(SessionAdmin.AUDIT_LOGGER);

    private final String store;
    private final String prefix;

    AuditLog(String store, String prefix) {
        this.store = store;
        this.prefix = prefix;
    }

    void evicted(EvictResult r) {
        SweepResult s = r.sweep();
        AUDIT.info("evict request={} dryRun={} watermark={} matched={} deleted={} at={} operator={} store={} prefix={}",
                r.request(), r.dryRun(), r.watermark() == null ? "none" : "\"" + r.watermark().encode() + "\"",
                r.matched() < 0 ? "unknown(no sweep)" : r.matched(),
                r.dryRun() ? 0 : r.watermark() == null ? r.keys().size() : s == null ? "unknown" : s.deleted(),
                r.at(), System.getProperty("user.name", "?"), store, prefix);
    }

    void sweepFailed(String request, String watermark, Object at, Throwable e) {
        AUDIT.warn("evict request={} watermark=\"{}\" at={} sweep failed: {}", request, watermark, at, e.getMessage());
    }
}
