package io.tlssessioncache.redis;

/**
 * How a sweep runs.
 *
 * @param dryRun           count what matches, delete nothing
 * @param everything       match every session entry under the prefix without opening it (for
 *                         "evict all"; the only sweep possible without the key ring)
 * @param scanCount        the SCAN {@code COUNT} hint per call
 * @param maxKeysPerSecond at most this many keys examined per second, over all masters (0: unlimited)
 * @param progress         told after every SCAN batch (on the sweeping thread); may be {@code null}
 */
public record SweepOptions(boolean dryRun, boolean everything, int scanCount, int maxKeysPerSecond,
        Progress progress) {

    public static final int DEFAULT_SCAN_COUNT = 500;
    public static final int DEFAULT_MAX_KEYS_PER_SECOND = 20_000;

    public SweepOptions {
        if (scanCount < 1 || scanCount > 100_000) {
            throw new IllegalArgumentException("scan count must be 1 to 100000");
        }
        if (maxKeysPerSecond < 0) {
            throw new IllegalArgumentException("max keys per second must be 0 (unlimited) or more");
        }
    }

    /** Deletes what matches, 500 keys per SCAN, at most 20000 keys/s, no progress reports. */
    public static SweepOptions defaults() {
        return new SweepOptions(false, false, DEFAULT_SCAN_COUNT, DEFAULT_MAX_KEYS_PER_SECOND, null);
    }

    public SweepOptions withDryRun(boolean v) {
        return new SweepOptions(v, everything, scanCount, maxKeysPerSecond, progress);
    }

    public SweepOptions withEverything(boolean v) {
        return new SweepOptions(dryRun, v, scanCount, maxKeysPerSecond, progress);
    }

    public SweepOptions withScanCount(int v) {
        return new SweepOptions(dryRun, everything, v, maxKeysPerSecond, progress);
    }

    public SweepOptions withMaxKeysPerSecond(int v) {
        return new SweepOptions(dryRun, everything, scanCount, v, progress);
    }

    public SweepOptions withProgress(Progress v) {
        return new SweepOptions(dryRun, everything, scanCount, maxKeysPerSecond, v);
    }

    /** Progress of a running sweep. */
    @FunctionalInterface
    public interface Progress {
        /** Called after each SCAN batch with the totals so far and the masters done out of all. */
        void update(SweepResult soFar, int mastersDone, int masters);
    }
}
