package io.tlssessioncache.redis.admin;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.resource.ClientResources;
import io.tlssessioncache.core.InvalidRecordException;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.redis.InvalidationPublisher;
import io.tlssessioncache.redis.RedisSessionStores;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * message formats are the store's, written through {@link InvalidationPublisher} (the publishing half
 * of {@code RedisInvalidations}: an admin process must not subscribe, the admin ACL user has no
 * {@code SUBSCRIBE}).
 *
 * <p><b>Audit.</b> Every eviction (dry runs too, marked so) is logged once on the logger
 * {@code io.tlssessioncache.audit}: what was asked, the watermark, how many matched and were
 * deleted, when, and the operating-system user. Never a value or a secret.
 *
 * <p>Methods block (with short timeouts) and throw {@link AdminException} when Redis is
 * unreachable or refuses (ACL). One instance may be used by one thread at a time.
 */
public final class SessionAdmin implements AutoCloseable {
    /** The audit logger's name. */
    public static final String AUDIT_LOGGER = "io.tlssessioncache.audit";

    private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);

    private final String uri;
    private final AdminOptions options;
    private final KeyLayout layout;
    private final SealedRecordCodec codec;
    private final Backend backend;
    private final InvalidationPublisher publisher;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SessionAdmin(String uri, AdminOptions options, Backend backend) {
        this.uri = RedisSessionStores.redact(uri);
        this.options = options;
        this.layout = new KeyLayout(options.keyPrefix());
        this.codec = options.keyRing().map(SealedRecordCodec::new).orElse(null);
        this.backend = backend;
        this.publisher = new InvalidationPublisher(backend.async(), options.keyPrefix());
    }

    /**
     * Connects (within the connect timeout) and checks with a {@code PING} that Redis answers.
     *
     * @throws IllegalArgumentException for a URI of an unsupported form
     * @throws AdminException           when Redis cannot be reached or refuses the login
     */
    public static SessionAdmin connect(String uri, AdminOptions options) {
        Objects.requireNonNull(options, "options");
        RedisSessionStores.Target target = RedisSessionStores.parseUri(uri);
        target.uris().forEach(u -> u.setTimeout(options.commandTimeout()));
        Backend backend;
        try {
            backend = target.cluster() ? Backend.cluster(target, options) : Backend.standalone(target, options);
        } catch (RuntimeException e) {
            throw translate("connect to Redis at " + RedisSessionStores.redact(uri), e);
        }
        SessionAdmin admin = new SessionAdmin(uri, options, backend);
        try {
            admin.call("PING", () -> backend.sync().ping());
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
        return admin;
    }

    /** Whether entries can be opened (a key ring was given): needed for selective sweeps, stats by name, inspect. */
    public boolean canReadEntries() {
        return codec != null;
    }

    // ------------------------------------------------------------------------------------ evict

    /**
     * Deletes one session, whatever its namespace, and tells every server's near-cache to drop it.
     *
     * @param id     a TLS 1.3 ticket or TLS 1.2 session id
     * @param dryRun only find the keys
     */
    public EvictResult evictId(SessionId id, boolean dryRun) {
        Objects.requireNonNull(id, "id");
        Instant at = options.clock().instant();
        List<String> found = new ArrayList<>();
        List<SessionKey> keys = new ArrayList<>();
        scanKeys(layout.idPattern(id), SweepOptions.DEFAULT_SCAN_COUNT, 0, (batch, node) -> {
            for (byte[] raw : batch) {
                SessionKey k = layout.parse(raw);
                if (k != null && k.id().equals(id)) {
                    keys.add(k);
                    found.add(layout.key(k));
                }
            }
        });
        if (!dryRun) {
            for (SessionKey k : keys) {
                byte[] redisKey = layout.key(k).getBytes(StandardCharsets.UTF_8);
                call("DEL", () -> backend.sync().del(redisKey));
                // Always announce: a near-cache may hold the session even where Redis lost it.
                await("PUBLISH", publisher.publishKey(k));
            }
        }
        EvictResult result = new EvictResult("id=" + id.toHex(), at, dryRun, null, List.copyOf(found), null);
        audit(result);
        return result;
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
        SweepResult swept = sweeps ? sweep(watermark, sweepOptions) : null;
        EvictResult result = new EvictResult(describe(watermark, sweepOptions.everything()), at,
                sweepOptions.dryRun(), watermark, List.of(), swept);
        audit(result);
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
        CompletableFuture<EvictResult> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("tls-session-admin-sweep").start(() -> {
            try {
                SweepResult swept = sweep(watermark, sweepOptions);
                EvictResult result = new EvictResult(describe(watermark, sweepOptions.everything()), at, false,
                        watermark, List.of(), swept);
                audit(result);
                f.complete(result);
            } catch (Throwable e) {
                AUDIT.warn("evict request={} watermark=\"{}\" at={} sweep failed: {}",
                        describe(watermark, sweepOptions.everything()), watermark.encode(), at, e.getMessage());
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Stores the watermark (keeping the later one per scope and value) and publishes it to every server. */
    public void writeWatermark(Revocation r) {
        Objects.requireNonNull(r, "r");
        await("EVAL (revocation watermark)", publisher.recordRevocation(r));
        await("PUBLISH", publisher.announceRevocation(r));
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

    // ------------------------------------------------------------------------------------ sweep

    /**
     * Scans every master for session entries and deletes those {@code watermark} covers (or, with
     * {@code everything}, all of them), at most {@code maxKeysPerSecond}.
     */
    public SweepResult sweep(Revocation watermark, SweepOptions o) {
        checkSweepable(watermark, o);
        long start = System.nanoTime();
        long[] counts = new long[4]; // scanned, matched, deleted, unreadable
        int masters = backend.masters().size();
        int[] done = {0};
        scanKeys(layout.allPattern(), o.scanCount(), o.maxKeysPerSecond(), new BatchHandler() {
            @Override
            public void batch(List<byte[]> batch, int node) {
                List<SessionKey> keys = new ArrayList<>(batch.size());
                List<byte[]> raws = new ArrayList<>(batch.size());
                for (byte[] raw : batch) {
                    SessionKey k = layout.parse(raw);
                    if (k != null) {
                        keys.add(k);
                        raws.add(raw);
                    }
                }
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
                if (o.progress() != null) {
                    o.progress().update(result(counts, masters, start), done[0], masters);
                }
            }

            @Override
            public void nodeDone(int node) {
                done[0]++;
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

    // ------------------------------------------------------------------------------------ stats, inspect

    /** Counts the sessions (by server name and protocol when the key ring opens them) and lists the watermarks. */
    public SessionStats stats() {
        long[] c = new long[3]; // total, unreadable, revoked
        Map<String, Long> byName = new TreeMap<>();
        Map<String, Long> byProtocol = new TreeMap<>();
        List<Revocation> watermarks = watermarks();
        scanKeys(layout.allPattern(), SweepOptions.DEFAULT_SCAN_COUNT, 0, (batch, node) -> {
            List<SessionKey> keys = new ArrayList<>();
            List<byte[]> raws = new ArrayList<>();
            for (byte[] raw : batch) {
                SessionKey k = layout.parse(raw);
                if (k != null) {
                    keys.add(k);
                    raws.add(raw);
                }
            }
            c[0] += keys.size();
            if (codec == null) {
                return;
            }
            List<byte[]> values = getAll(raws);
            for (int i = 0; i < keys.size(); i++) {
                if (values.get(i) == null) {
                    c[0]--;
                    continue;
                }
                SessionRecord r = open(keys.get(i), values.get(i));
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
                watermarks, backend.masters().size());
    }

    /** The metadata of the entries with this id (normally one; one per namespace at most). */
    public List<SessionInfo> inspect(SessionId id) {
        Objects.requireNonNull(id, "id");
        List<SessionInfo> out = new ArrayList<>();
        scanKeys(layout.idPattern(id), SweepOptions.DEFAULT_SCAN_COUNT, 0, (batch, node) -> {
            for (byte[] raw : batch) {
                SessionKey k = layout.parse(raw);
                if (k == null || !k.id().equals(id)) {
                    continue;
                }
                byte[] v = call("GET", () -> backend.sync().get(raw));
                if (v == null) {
                    continue;
                }
                Long ttl = call("PTTL", () -> backend.sync().pttl(raw));
                out.add(SessionInfo.of(layout.key(k), k, ttl == null ? -2 : ttl, v.length, open(k, v)));
            }
        });
        return out;
    }

    /** The revocation watermarks stored in Redis (unparseable fields skipped). */
    public List<Revocation> watermarks() {
        List<Revocation> out = new ArrayList<>(await("HGETALL", publisher.loadRevocations()));
        out.sort((a, b) -> a.createdBefore().compareTo(b.createdBefore()));
        return out;
    }

    // ------------------------------------------------------------------------------------ internals

    private interface BatchHandler {
        void batch(List<byte[]> keys, int node);

        default void nodeDone(int node) {
        }
    }

    /** SCANs every master with {@code pattern}, handing each batch over; at most {@code maxPerSecond} keys/s (0: no limit). */
    private void scanKeys(String pattern, int count, int maxPerSecond, BatchHandler handler) {
        List<RedisClusterCommands<byte[], byte[]>> masters = backend.masters();
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(count);
        long start = System.nanoTime();
        long seen = 0;
        for (int n = 0; n < masters.size(); n++) {
            RedisClusterCommands<byte[], byte[]> node = masters.get(n);
            ScanCursor cursor = ScanCursor.INITIAL;
            while (true) {
                ScanCursor from = cursor;
                KeyScanCursor<byte[]> page = call("SCAN", () -> node.scan(from, args));
                handler.batch(page.getKeys(), n);
                seen += page.getKeys().size();
                if (page.isFinished()) {
                    break;
                }
                cursor = page;
                if (maxPerSecond > 0) {
                    // Spread the work: never more than maxPerSecond keys in any prefix of the run.
                    long dueNanos = start + seen * 1_000_000_000L / maxPerSecond;
                    long wait = dueNanos - System.nanoTime();
                    if (wait > 0) {
                        sleepNanos(wait);
                    }
                }
            }
            handler.nodeDone(n);
        }
    }

    /** GETs the keys pipelined (through the cluster router when clustered): values in order, null when gone. */
    private List<byte[]> getAll(List<byte[]> keys) {
        List<RedisFuture<byte[]>> futures = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            futures.add(backend.async().get(k));
        }
        List<byte[]> out = new ArrayList<>(keys.size());
        for (RedisFuture<byte[]> f : futures) {
            out.add(await("GET", f));
        }
        return out;
    }

    private long deleteAll(List<byte[]> keys) {
        List<RedisFuture<Long>> futures = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            futures.add(backend.async().del(k)); // one key each: keys of a batch may lie in different slots
        }
        long n = 0;
        for (RedisFuture<Long> f : futures) {
            Long d = await("DEL", f);
            n += d == null ? 0 : d;
        }
        return n;
    }

    private SessionRecord open(SessionKey key, byte[] sealed) {
        if (codec == null) {
            return null;
        }
        try {
            return codec.decode(key, sealed);
        } catch (InvalidRecordException e) {
            return null; // sealed under a key this ring lacks, or tampered: counted, never shown
        }
    }

    private <T> T await(String what, CompletionStage<T> f) {
        try {
            return f.toCompletableFuture().get(options.commandTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(AdminException.Kind.FAILED, what + " interrupted", e);
        } catch (ExecutionException e) {
            throw translate(what + " on " + uri, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw translate(what + " on " + uri, e);
        }
    }

    private <T> T call(String what, Supplier<T> command) {
        try {
            return command.get();
        } catch (RuntimeException e) {
            throw translate(what + " on " + uri, e);
        }
    }

    /** Lettuce's exception as an {@link AdminException} whose message says what to do. */
    static AdminException translate(String what, Throwable e) {
        if (e instanceof AdminException a) {
            return a;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            // NOPERM for a command; a script's command refused by the caller's ACL is an "ERR ... can't run".
            if (t instanceof RedisCommandExecutionException
                    && (m.startsWith("NOPERM") || m.contains("can't run this command"))) {
                return new AdminException(AdminException.Kind.DENIED, "cannot " + what + ": Redis refused: " + m
                        + " (the admin commands need an ACL user with SCAN, HSET, EVAL, DEL, PUBLISH on the"
                        + " key prefix, e.g. tls-admin; the servers' user tls-server is not allowed to)", e);
            }
            if (t instanceof RedisCommandExecutionException
                    && (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.contains("AUTH"))) {
                return new AdminException(AdminException.Kind.DENIED, "cannot " + what
                        + ": authentication failed (" + firstWord(m) + "): check the user and password in the URI", e);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisConnectionException || t instanceof RedisCommandTimeoutException
                    || t instanceof TimeoutException || t instanceof java.net.ConnectException
                    || t instanceof io.lettuce.core.RedisException && String.valueOf(t.getMessage())
                            .contains("Cannot retrieve")) {
                return new AdminException(AdminException.Kind.UNREACHABLE, "cannot " + what
                        + ": Redis is unreachable (" + RedisSessionStores.describe(e) + ")", e);
            }
        }
        return new AdminException(AdminException.Kind.FAILED, "cannot " + what + ": " + RedisSessionStores.describe(e), e);
    }

    private static String firstWord(String m) {
        int sp = m.indexOf(' ');
        return sp < 0 ? m : m.substring(0, sp);
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

    private void audit(EvictResult r) {
        SweepResult s = r.sweep();
        AUDIT.info("evict request={} dryRun={} watermark={} matched={} deleted={} at={} operator={} store={} prefix={}",
                r.request(), r.dryRun(), r.watermark() == null ? "none" : "\"" + r.watermark().encode() + "\"",
                r.matched() < 0 ? "unknown(no sweep)" : r.matched(),
                r.dryRun() ? 0 : r.watermark() == null ? r.keys().size() : s == null ? "unknown" : s.deleted(),
                r.at(), System.getProperty("user.name", "?"), uri, layout.prefix());
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(AdminException.Kind.FAILED, "sweep interrupted", e);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            backend.close();
        }
    }

    @Override
    public String toString() {
        return "SessionAdmin[" + uri + ", prefix=" + layout.prefix() + ", keyRing=" + (codec != null) + "]";
    }

    // ------------------------------------------------------------------------------------ connections

    /** A standalone/Sentinel connection or a cluster connection, and the masters to SCAN. */
    private record Backend(RedisClusterCommands<byte[], byte[]> sync, RedisClusterAsyncCommands<byte[], byte[]> async,
            Supplier<List<RedisClusterCommands<byte[], byte[]>>> mastersSupplier, Runnable closer) {

        List<RedisClusterCommands<byte[], byte[]>> masters() {
            return mastersSupplier.get();
        }

        void close() {
            closer.run();
        }

        private static ClientResources resources() {
            return ClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        }

        static Backend standalone(RedisSessionStores.Target target, AdminOptions o) {
            ClientResources resources = resources();
            RedisClient client = RedisClient.create(resources);
            try {
                client.setOptions(ClientOptions.builder()
                        .autoReconnect(false) // an operator command fails clearly rather than waiting
                        .timeoutOptions(TimeoutOptions.enabled(o.commandTimeout()))
                        .socketOptions(SocketOptions.builder().connectTimeout(o.connectTimeout()).build())
                        .build());
                StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE,
                        target.uris().getFirst());
                conn.setTimeout(o.commandTimeout());
                List<RedisClusterCommands<byte[], byte[]>> one = List.of(conn.sync());
                return new Backend(conn.sync(), conn.async(), () -> one, () -> shutdown(conn, client, resources));
            } catch (RuntimeException e) {
                shutdown(null, client, resources);
                throw e;
            }
        }

        static Backend cluster(RedisSessionStores.Target target, AdminOptions o) {
            ClientResources resources = resources();
            RedisClusterClient client = RedisClusterClient.create(resources, target.uris());
            try {
                client.setOptions(ClusterClientOptions.builder()
                        // Node connections open lazily; queue commands while one connects (bounded by
                        // the command timeout) instead of rejecting them.
                        .autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                        .timeoutOptions(TimeoutOptions.enabled(o.commandTimeout()))
                        .socketOptions(SocketOptions.builder().connectTimeout(o.connectTimeout()).build())
                        .build());
                StatefulRedisClusterConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE);
                conn.setTimeout(o.commandTimeout());
                // Open the routed (write) connection to every master now, so "unreachable" shows at connect.
                List<CompletableFuture<?>> warm = new ArrayList<>();
                for (RedisClusterNode n : conn.getPartitions()) {
                    if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL)) {
                        warm.add(conn.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort(),
                                ConnectionIntent.WRITE));
                    }
                }
                try {
                    CompletableFuture.allOf(warm.toArray(CompletableFuture[]::new))
                            .get(o.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                } catch (InterruptedException | ExecutionException | TimeoutException e) {
                    throw new RedisConnectionException("cannot connect to every cluster master", e);
                }
                // Every master, from a fresh view of the topology: a sweep must not miss a shard.
                Supplier<List<RedisClusterCommands<byte[], byte[]>>> masters = () -> {
                    client.refreshPartitions();
                    List<RedisClusterCommands<byte[], byte[]>> out = new ArrayList<>();
                    for (RedisClusterNode node : conn.getPartitions()) {
                        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.is(RedisClusterNode.NodeFlag.FAIL)
                                && !node.getSlots().isEmpty()) {
                            out.add(conn.getConnection(node.getNodeId()).sync());
                        }
                    }
                    if (out.isEmpty()) {
                        throw new AdminException(AdminException.Kind.UNREACHABLE, "no Redis cluster master is reachable",
                                null);
                    }
                    return out;
                };
                return new Backend(conn.sync(), conn.async(), masters, () -> shutdown(conn, client, resources));
            } catch (RuntimeException e) {
                shutdown(null, client, resources);
                throw e;
            }
        }

        private static void shutdown(AutoCloseable conn, io.lettuce.core.AbstractRedisClient client,
                ClientResources resources) {
            try {
                if (conn != null) {
                    conn.close();
                }
            } catch (Exception ignored) {
                // closing anyway
            }
            client.shutdown(0, 2, TimeUnit.SECONDS);
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
