package io.tlssessioncache.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.tlssessioncache.core.InvalidRecordException;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Walks the session entries of every master: a rate-limited {@code SCAN MATCH}, values read and
 * entries deleted pipelined (through the cluster router, as the keys of one batch may lie in
 * different slots); and the sweep that deletes what a revocation watermark covers.
 */
final class KeySweep {
    private final AdminConnection connection;
    private final KeyLayout layout;
    private final SealedRecordCodec codec; // null: no key ring, entries cannot be opened

    KeySweep(AdminConnection connection, KeyLayout layout, SealedRecordCodec codec) {
        this.connection = connection;
        this.layout = layout;
        this.codec = codec;
    }

    /** Session entries found by one SCAN call (other keys under the prefix are left out). */
    interface Batch {
        void entries(List<SessionKey> keys, List<byte[]> redisKeys);

        default void masterDone() {
        }
    }

    /** SCANs every master with {@code pattern}, at most {@code maxPerSecond} keys a second (0: no limit). */
    void scan(byte[] pattern, int count, int maxPerSecond, Batch batch) {
        List<RedisClusterCommands<byte[], byte[]>> masters = connection.masters();
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(count);
        long start = System.nanoTime();
        long seen = 0;
        for (RedisClusterCommands<byte[], byte[]> node : masters) {
            ScanCursor cursor = ScanCursor.INITIAL;
            while (true) {
                ScanCursor from = cursor;
                KeyScanCursor<byte[]> page = connection.call("SCAN", () -> node.scan(from, args));
                List<SessionKey> keys = new ArrayList<>(page.getKeys().size());
                List<byte[]> raws = new ArrayList<>(page.getKeys().size());
                for (byte[] raw : page.getKeys()) {
                    SessionKey k = layout.parse(raw);
                    if (k != null) {
                        keys.add(k);
                        raws.add(raw);
                    }
                }
                batch.entries(keys, raws);
                seen += page.getKeys().size();
                if (page.isFinished()) {
                    break;
                }
                cursor = page;
                if (maxPerSecond > 0) {
                    // Spread the work: never more than maxPerSecond keys in any prefix of the run.
                    long wait = start + seen * 1_000_000_000L / maxPerSecond - System.nanoTime();
                    if (wait > 0) {
                        sleepNanos(wait);
                    }
                }
            }
            batch.masterDone();
        }
    }

    /** The values of {@code keys}, in order; null where gone (expired or taken meanwhile). */
    List<byte[]> getAll(List<byte[]> keys) {
        List<RedisFuture<byte[]>> futures = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            futures.add(connection.async().get(k));
        }
        List<byte[]> out = new ArrayList<>(keys.size());
        for (RedisFuture<byte[]> f : futures) {
            out.add(connection.await("GET", f));
        }
        return out;
    }

    /** Deletes {@code keys}; how many were there. */
    long deleteAll(List<byte[]> keys) {
        List<RedisFuture<Long>> futures = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            futures.add(connection.async().del(k)); // one key each: keys of a batch may lie in different slots
        }
        long n = 0;
        for (RedisFuture<Long> f : futures) {
            Long d = connection.await("DEL", f);
            n += d == null ? 0 : d;
        }
        return n;
    }

    /** The record a value holds, or null (no key ring, sealed under a key this ring lacks, tampered): never shown. */
    SessionRecord open(SessionKey key, byte[] sealed) {
        if (codec == null) {
            return null;
        }
        try {
            return codec.decode(key, sealed);
        } catch (InvalidRecordException e) {
            return null;
        }
    }

    /**
     * Deletes the entries {@code watermark} covers (or, with {@code everything}, all of them: without
     * a key ring without reading them), reporting progress after every batch.
     */
    SweepResult sweep(Revocation watermark, SweepOptions o) {
        long start = System.nanoTime();
        long[] counts = new long[4]; // scanned, matched, deleted, unreadable
        int masters = connection.masters().size();
        int[] done = {0};
        scan(layout.allPattern(), o.scanCount(), o.maxKeysPerSecond(), new Batch() {
            @Override
            public void entries(List<SessionKey> keys, List<byte[]> raws) {
                counts[0] += keys.size();
                List<byte[]> toDelete = new ArrayList<>();
                if (o.everything() && codec == null) {
                    toDelete.addAll(raws); // nothing to read them with: "everything" is every entry present
                } else {
                    List<byte[]> values = getAll(raws);
                    for (int i = 0; i < keys.size(); i++) {
                        byte[] v = values.get(i);
                        if (v == null) {
                            continue; // expired or taken meanwhile
                        }
                        SessionRecord r = open(keys.get(i), v);
                        if (r == null) {
                            counts[3]++;
                            if (o.everything()) {
                                toDelete.add(raws.get(i)); // unreadable, and "everything" includes it
                            }
                        } else if (watermark.covers(r)) {
                            // With "everything" too: sessions made after the watermark are spared.
                            toDelete.add(raws.get(i));
                        }
                    }
                }
                counts[1] += toDelete.size();
                if (!o.dryRun() && !toDelete.isEmpty()) {
                    counts[2] += deleteAll(toDelete);
                }
                progress();
            }

            @Override
            public void masterDone() {
                done[0]++;
                progress();
            }

            private void progress() {
                if (o.progress() != null) {
                    o.progress().update(result(counts, masters, start), done[0], masters);
                }
            }
        });
        return result(counts, masters, start);
    }

    private static SweepResult result(long[] c, int masters, long start) {
        return new SweepResult(c[0], c[1], c[2], c[3], masters, Duration.ofNanos(System.nanoTime() - start));
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(AdminException.Kind.FAILED, "sweep interrupted", e);
        }
    }
}
