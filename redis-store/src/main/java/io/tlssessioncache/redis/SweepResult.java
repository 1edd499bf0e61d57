package io.tlssessioncache.redis;

import java.time.Duration;

/**
 * What a sweep did.
 *
 * @param scanned    session entries examined
 * @param matched    entries that matched (a dry run deletes none of them)
 * @param deleted    entries deleted
 * @param unreadable entries that did not open with the key ring (left alone unless sweeping everything)
 * @param masters    Redis masters scanned
 * @param took       how long it ran
 */
public record SweepResult(long scanned, long matched, long deleted, long unreadable, int masters, Duration took) {
}
