package io.tlssessioncache.redis;

import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionKey;
import java.time.Instant;
import java.util.List;

/**
 * What an eviction did.
 *
 * @param request    what was asked, e.g. {@code server-name=a.test} (for people and the audit log)
 * @param at         when it was asked
 * @param dryRun     nothing was changed
 * @param watermark  the revocation watermark written (or that would have been), {@code null} for an id eviction
 * @param keys       for an id eviction, the sessions found (and deleted unless a dry run); empty otherwise
 * @param sweep      what the sweep did, or {@code null} when none ran
 */
public record EvictResult(String request, Instant at, boolean dryRun, Revocation watermark, List<SessionKey> keys,
        SweepResult sweep) {

    /** How many entries matched, or -1 when unknown (a watermark without a sweep). */
    public long matched() {
        if (watermark == null) {
            return keys.size();
        }
        return sweep == null ? -1 : sweep.matched();
    }
}
