package io.tlssessioncache.redis;

import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Operator commands on a Redis session store: evict one session, revoke sessions by SNI host name,
 * client certificate, age or all of them, sweep revoked entries out of Redis, count and inspect.
 *
 * <p><b>Revocation first, sweep second.</b> {@link #evict(Revocation, SweepOptions, boolean)}
 * writes a watermark to {@code <prefix>:revocations} and publishes it on
 * {@code <prefix>:invalidate}: O(1), and every server stops resuming the covered sessions at once
 * (each lookup checks the watermarks; near-caches included). The sweep that follows only reclaims
 * memory: a rate-limited {@code SCAN} of every master that opens each entry (which needs the
 * sealing key ring: values are sealed) and deletes those the watermark covers. Keys, channel and
 * messages are the store's; an admin process publishes but never subscribes (the admin ACL user
 * has no {@code SUBSCRIBE}).
 *
 * <p><b>Audit.</b> Every eviction (dry runs too, marked so) is logged once on the logger
 * {@value #AUDIT_LOGGER}: what was asked, the watermark, how many matched and were deleted, when,
 * and the operating-system user. Never a value or a secret.
 *
 * <p>Methods block (with short timeouts) and throw {@link AdminException} when Redis is
 * unreachable or refuses (ACL). One instance may be used by one thread at a time.
 */
public final class SessionAdmin implements AutoCloseable {
    /** The audit logger's name. */
    public static final String AUDIT_LOGGER = "io.tlssessioncache.audit";

    private final AdminOptions options;
    private final KeyLayout layout;
    private final SealedRecordCodec codec;
    private final AdminConnection connection;
    private final InvalidationPublisher publisher;
    private final KeySweep keys;
    private final AuditLog audit;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SessionAdmin(AdminOptions options, AdminConnection connection) {
        this.options = options;
        this.layout = new KeyLayout(options.keyPrefix());
        this.codec = options.keyRing().map(SealedRecordCodec::new).orElse(null);
        this.connection = connection;
        this.publisher = new InvalidationPublisher(connection.async(), layout);
        this.keys = new KeySweep(connection, layout, codec);
        this.audit = new AuditLog(connection.uri(), options.keyPrefix());
    }

    /**
     * Connects (within the connect timeout) and checks with a {@code PING} that Redis answers.
     *
     * @throws IllegalArgumentException for a URI of an unsupported form (the message does not quote it)
     * @throws AdminException           when Redis cannot be reached or refuses the login
     */
    public static SessionAdmin connect(String uri, AdminOptions options) {
        Objects.requireNonNull(options, "options");
        return new SessionAdmin(options, AdminConnection.open(uri, options));
    }

    /** Whether entries can be opened (a key ring was given): needed for selective sweeps, stats by name, inspect. */
    public boolean canReadEntries() {
        return codec != null;
    }

    // ------------------------------------------------------------------------------------ evict

    /**
     * Deletes one session, whatever its namespace and protocol (a TLS 1.2 session and a TLS 1.3
     * ticket with the same id bytes are two sessions: both go), and tells every server's near-cache
     * to drop it.
     *
     * @param id     a TLS 1.3 ticket or TLS 1.2 session id
     * @param dryRun only find the sessions
     */
    public EvictResult evictId(SessionId id, boolean dryRun) {
        Objects.requireNonNull(id, "id");
        Instant at = options.clock().instant();
        List<SessionKey> found = find(id);
        if (!dryRun) {
            for (SessionKey k : found) {
                byte[] redisKey = layout.key(k);
                connection.call("DEL", () -> connection.sync().del(redisKey));
                // Always announce: a near-cache may hold the session even where Redis lost it.
                connection.await("PUBLISH", publisher.publishKey(k));
            }
        }
        EvictResult result = new EvictResult("id=" + id.toHex(), at, dryRun, null, List.copyOf(found), null);
        audit.evicted(result);
        return result;
    }

    /** The keys of the sessions with this id, in any namespace and either protocol. */
    private List<SessionKey> find(SessionId id) {
        List<SessionKey> found = new ArrayList<>();
        keys.scan(layout.idPattern(id), SweepOptions.DEFAULT_SCAN_COUNT, 0, (batch, raws) -> {
            for (SessionKey k : batch) {
                if (k.id().equals(id)) {
                    found.add(k);
                }
            }
        });
        return found;
    }

    /**
     * Revokes what {@code watermark} covers everywhere at once, then (if {@code sweep}) sweeps
     * Redis for the matching entries in this thread. A dry run writes nothing and counts by sweeping
     * with {@code dryRun}.
     *
     * @param sweepOptions how to sweep ({@code dryRun}: change nothing, only count;
     *                     {@code everything}: evict every entry under the prefix, requires an ALL watermark)
     * @param sweep        whether to sweep after writing the watermark (a dry run always sweeps, it is how it counts)
     * @throws IllegalStateException when a sweep needs the key ring and there is none
     */
    public EvictResult evict(Revocation watermark, SweepOptions sweepOptions, boolean sweep) {
        Objects.requireNonNull(watermark, "watermark");
        Objects.requireNonNull(sweepOptions, "sweepOptions");
        boolean sweeps = sweep || sweepOptions.dryRun();
        if (sweeps) {
            checkSweepable(watermark, sweepOptions);
        }
        Instant at = options.clock().instant();
        if (!sweepOptions.dryRun()) {
            writeWatermark(watermark);
        }
        SweepResult swept = sweeps ? keys.sweep(watermark, sweepOptions) : null;
        EvictResult result = new EvictResult(describe(watermark, sweepOptions.everything()), at,
                sweepOptions.dryRun(), watermark, List.of(), swept);
        audit.evicted(result);
        return result;
    }

    /**
     * Writes the watermark (returns once Redis has it and it is published), then sweeps on a
     * background thread; the future completes with the result (and the audit line is written) when
     * the sweep is done.
     */
    public CompletableFuture<EvictResult> evictInBackground(Revocation watermark, SweepOptions sweepOptions) {
        if (sweepOptions.dryRun()) {
            throw new IllegalArgumentException("a dry run is not a background job: use evict(...)");
        }
        checkSweepable(watermark, sweepOptions);
        Instant at = options.clock().instant();
        writeWatermark(watermark);
        String request = describe(watermark, sweepOptions.everything());
        CompletableFuture<EvictResult> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("tls-session-admin-sweep").start(() -> {
            try {
                EvictResult result = new EvictResult(request, at, false, watermark, List.of(),
                        keys.sweep(watermark, sweepOptions));
                audit.evicted(result);
                f.complete(result);
            } catch (Throwable e) {
                audit.sweepFailed(request, watermark.encode(), at, e);
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Stores the watermark (keeping the later one per scope and value) and publishes it to every server. */
    public void writeWatermark(Revocation r) {
        Objects.requireNonNull(r, "r");
        connection.await("EVAL (revocation watermark)", publisher.recordRevocation(r));
        connection.await("PUBLISH", publisher.announceRevocation(r));
    }

    /**
     * Scans every master for session entries and deletes those {@code watermark} covers (or, with
     * {@code everything}, all of them), at most {@code maxKeysPerSecond}.
     */
    public SweepResult sweep(Revocation watermark, SweepOptions o) {
        checkSweepable(watermark, o);
        return keys.sweep(watermark, o);
    }

    private void checkSweepable(Revocation watermark, SweepOptions o) {
        if (o.everything() && watermark.scope() != Revocation.Scope.ALL) {
            throw new IllegalArgumentException("sweeping everything goes with an ALL watermark only");
        }
        if (!o.everything() && codec == null) {
            throw new IllegalStateException("matching sessions by " + scopeWord(watermark)
                    + " needs the sealing key ring (entries are sealed): give --sealing-key-file or set"
                    + " TLS_SESSION_CACHE_SEALING_KEYS; without it only --all can be swept");
        }
    }

    // ------------------------------------------------------------------------------------ stats, inspect

    /** Counts the sessions (by server name and protocol when the key ring opens them) and lists the watermarks. */
    public SessionStats stats() {
        long[] c = new long[3]; // total, unreadable, revoked
        Map<String, Long> byName = new TreeMap<>();
        Map<String, Long> byProtocol = new TreeMap<>();
        List<Revocation> watermarks = watermarks();
        keys.scan(layout.allPattern(), SweepOptions.DEFAULT_SCAN_COUNT, 0, (batch, raws) -> {
            c[0] += batch.size();
            if (codec == null) {
                return;
            }
            List<byte[]> values = keys.getAll(raws);
            for (int i = 0; i < batch.size(); i++) {
                if (values.get(i) == null) {
                    c[0]--;
                    continue;
                }
                SessionRecord r = keys.open(batch.get(i), values.get(i));
                if (r == null) {
                    c[1]++;
                    continue;
                }
                if (watermarks.stream().anyMatch(w -> w.covers(r))) {
                    c[2]++;
                }
                byName.merge(r.serverName() == null ? "(none)" : r.serverName(), 1L, Long::sum);
                byProtocol.merge(r.protocol().javaName(), 1L, Long::sum);
            }
        });
        return new SessionStats(c[0], codec != null, c[1], c[2], sortByCount(byName), sortByCount(byProtocol),
                watermarks, connection.masters().size());
    }

    /** The metadata of the sessions with this id (normally one; one per namespace and protocol at most). */
    public List<SessionInfo> inspect(SessionId id) {
        Objects.requireNonNull(id, "id");
        List<SessionInfo> out = new ArrayList<>();
        for (SessionKey k : find(id)) {
            byte[] raw = layout.key(k);
            byte[] v = connection.call("GET", () -> connection.sync().get(raw));
            if (v != null) {
                Long ttl = connection.call("PTTL", () -> connection.sync().pttl(raw));
                out.add(SessionInfo.of(k, ttl == null ? -2 : ttl, v.length, keys.open(k, v)));
            }
        }
        return out;
    }

    /** The revocation watermarks stored in Redis (unparseable fields skipped), oldest first. */
    public List<Revocation> watermarks() {
        List<Revocation> out = new ArrayList<>(connection.await("HGETALL", publisher.loadRevocations()));
        out.sort(Comparator.comparing(Revocation::createdBefore));
        return out;
    }

    private static Map<String, Long> sortByCount(Map<String, Long> m) {
        Map<String, Long> out = new LinkedHashMap<>();
        m.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static String scopeWord(Revocation r) {
        return switch (r.scope()) {
            case ALL -> "age";
            case NAMESPACE -> "namespace";
            case SERVER_NAME -> "server name";
            case CLIENT_IDENTITY -> "client certificate";
        };
    }

    /** The request as the CLI spells it: {@code server-name=a.test}, {@code all}, {@code older-than createdBefore=...}. */
    static String describe(Revocation r, boolean everything) {
        return switch (r.scope()) {
            case ALL -> everything ? "all" : "older-than created-before=" + r.createdBefore();
            case NAMESPACE -> "namespace=" + r.value();
            case SERVER_NAME -> "server-name=" + r.value();
            case CLIENT_IDENTITY -> "client-cert-sha256=" + r.value();
        };
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            connection.close();
        }
    }

    @Override
    public String toString() {
        return "SessionAdmin[" + connection.uri() + ", prefix=" + layout.prefix() + ", keyRing=" + (codec != null) + "]";
    }
}
