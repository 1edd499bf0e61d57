package io.tlssessioncache.benchmarks.handshake;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.netty.handler.ssl.ClientAuth;
import io.tlssessioncache.benchmarks.handshake.LoadGenerator.Pattern;
import io.tlssessioncache.benchmarks.handshake.LoadGenerator.Result;
import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.InMemorySessionStore;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.core.TlsProtocol;
import io.tlssessioncache.netty.internal.NativeClient;
import io.tlssessioncache.netty.internal.OpenSsl;
import io.tlssessioncache.redis.RedisSessionStores;
import io.tlssessioncache.redis.RedisStoreOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * Runs every handshake-level comparison in one JVM, one after the other, and writes
 * {@code docs/reports/benchmarks.md} and {@code docs/reports/benchmarks-handshakes.png}. Run by {@code bin/benchmark}.
 *
 * <p>Options: {@code --quick} (short windows, default) or {@code --full}; {@code --threads N} client
 * threads (default 4); {@code --out DIR} (default {@code docs/reports}); {@code --jmh-table FILE} a markdown
 * table of JMH results to include; {@code --jmh-command TEXT} how that table was made; {@code --nginx-section FILE}
 * and {@code --nginx-targets FILE}: section 0 and its target rows, written by {@code benchmarks/vs-nginx.py}.
 */
public final class HandshakeBenchmark {

    private final Duration warmup;
    private final Duration measure;
    /** Length of one measured slice; a scenario is measured in {@link #rounds} slices. */
    private final Duration slice;
    private final int rounds;
    /** Only the scenarios whose name matches (for profiling one scenario); null for all. */
    private java.util.regex.Pattern only;
    private final int threads;
    private final boolean quick;
    private final List<Result> all = new ArrayList<>();
    /** Per Redis scenario: what the stores and lookup handlers counted. */
    final Map<String, String> storeCounts = new LinkedHashMap<>();

    private HandshakeBenchmark(boolean quick, int threads) {
        this.quick = quick;
        this.threads = threads;
        this.rounds = quick ? 3 : 10;
        this.warmup = quick ? Duration.ofMillis(300) : Duration.ofMillis(500);
        this.slice = quick ? Duration.ofMillis(500) : Duration.ofMillis(1000);
        this.measure = slice.multipliedBy(rounds);
    }

    public static void main(String[] args) throws Exception {
        boolean quick = true;
        int threads = 4;
        java.util.regex.Pattern only = null;
        boolean bytesOnly = false;
        Path out = Path.of("docs", "reports");
        Path jmhTable = null;
        String jmhCommand = null;
        Path nginxSection = null;
        Path nginxTargets = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--full" -> quick = false;
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--jmh-table" -> jmhTable = Path.of(args[++i]);
                case "--jmh-command" -> jmhCommand = args[++i];
                case "--only" -> only = java.util.regex.Pattern.compile(args[++i]);
                case "--bytes-only" -> bytesOnly = true;
                case "--nginx-section" -> nginxSection = Path.of(args[++i]);
                case "--nginx-targets" -> nginxTargets = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: HandshakeBenchmark [--quick|--full] [--threads N] [--out DIR] [--only REGEX] [--bytes-only] "
                            + "[--jmh-table FILE] [--jmh-command TEXT] [--nginx-section FILE --nginx-targets FILE]");
                    System.exit(2);
                }
            }
        }
        OpenSsl.ensureAvailable();
        // The benchmark's nodes run on NIO, and some stores borrow their event loop for Lettuce: Lettuce must
        // not pick epoll on its own now that the epoll transport is on this classpath (through the server module).
        System.setProperty("io.lettuce.core.epoll", System.getProperty("io.lettuce.core.epoll", "false"));
        HandshakeBenchmark bench = new HandshakeBenchmark(quick, threads);
        bench.only = only;
        String loadBefore = loadAverage();
        Instant started = Instant.now();
        Sections s;
        if (bytesOnly) { // section 5 alone, printed: bytes per stored session in Redis
            try (Certificates certs = Certificates.generate(); RedisProcess redis = RedisProcess.start()) {
                s = new Sections();
                bench.storedBytes(s, certs, redis, SealingKeyRing.generate());
                s.bytes.forEach(row -> System.out.println(String.join(" | ", row)));
            }
            System.exit(0);
        }
        try (Certificates certs = Certificates.generate(); RedisProcess redis = RedisProcess.start()) {
            s = bench.runAll(certs, redis);
            s.redisVersion = redis.version();
        }
        if (only != null) {
            System.out.println("--only: partial run, no report written");
            System.exit(0);
        }
        s.loadBefore = loadBefore;
        if (nginxSection != null && nginxTargets != null && Files.exists(nginxSection) && Files.exists(nginxTargets)) {
            s.nginxSection = Files.readString(nginxSection);
            s.nginxTargets = Files.readString(nginxTargets);
        }
        s.loadAfter = loadAverage();
        s.started = started;
        s.elapsed = Duration.between(started, Instant.now());
        Files.createDirectories(out);
        Path png = out.resolve("benchmarks-handshakes.png");
        bench.chart(png);
        String jmh = jmhTable != null && Files.exists(jmhTable) ? Files.readString(jmhTable) : null;
        Files.writeString(out.resolve("benchmarks.md"), Report.markdown(bench, s, jmh, jmhCommand));
        System.out.println("wrote " + out.resolve("benchmarks.md") + " and " + png);
        System.exit(0); // Lettuce/Netty leftovers must not keep a finished run alive
    }

    /** Everything a report needs besides the handshake results. */
    static final class Sections {
        final Map<String, Result> byName = new LinkedHashMap<>();
        final List<String[]> lookup = new ArrayList<>();
        final List<String[]> bytes = new ArrayList<>();
        final List<OpensslReference.Ratio> reference = new ArrayList<>();
        String redisVersion;
        /** Section 0 (vs-nginx.py's markdown) and its rows of the targets table; null when not run. */
        String nginxSection;
        String nginxTargets;
        String loadBefore;
        String loadAfter;
        Instant started;
        Duration elapsed;
        int lookupSamples;
        int storedValueBytes;
    }

    private Sections runAll(Certificates certs, RedisProcess redis) throws Exception {
        Sections s = new Sections();
        SealingKeyRing ring = SealingKeyRing.generate(); // one key ring: every node must open every node's entries
        String[] protocols = {"TLSv1.3", "TLSv1.2"};
        Certificates.Pair[] serverCerts = {certs.ecdsa, certs.rsa};

        // 0: warm every code path once (JIT), results discarded: the first scenario must not pay for compilation.
        for (String protocol : only != null ? new String[0] : protocols) { // --only: profile the scenario itself
            List<Live> warm = new ArrayList<>();
            for (Provider provider : Provider.values()) {
                warm.add(oneNode("warm-up " + provider, provider, certs.ecdsa, protocol, Pattern.FULL));
            }
            warm.add(oneNode("warm-up resumed", Provider.ENGINE, certs.ecdsa, protocol, Pattern.RESUME_SAME));
            warm.add(oneNode("warm-up resumed drop-in", Provider.ENGINE_DROP_IN, certs.ecdsa, protocol, Pattern.RESUME_SAME));
            warm.add(redisNodes("warm-up redis drop-in", 2, certs.ecdsa, protocol, Pattern.PAIR_OTHER, redis, ring,
                    "warm", true, Provider.ENGINE_DROP_IN));
            warm.add(redisNodes("warm-up redis", 2, certs.ecdsa, protocol, Pattern.PAIR_OTHER, redis, ring, "warm"));
            warm.add(redisNodes("warm-up redis, shared loop", 2, certs.ecdsa, protocol, Pattern.PAIR_OTHER, redis, ring,
                    "warm", true));
            compare(null, warm, quick ? 2 : 5);
        }
        storeCounts.clear();
        System.out.println("warm-up done");

        // 1 + full-handshake comparison: one node, each stack, each certificate and protocol.
        for (String protocol : protocols) {
            for (Certificates.Pair cert : serverCerts) {
                List<Live> group = new ArrayList<>();
                for (Provider provider : STACKS) {
                    String name = String.format("1 node, full, %s, %s, %s", protocol, cert.label(), provider.label);
                    group.add(oneNode(name, provider, cert, protocol, Pattern.FULL));
                }
                for (Provider engine : List.of(Provider.ENGINE, Provider.ENGINE_DROP_IN)) {
                    String name = String.format("1 node, resumed, %s, %s, %s", protocol, cert.label(), engine.label);
                    group.add(oneNode(name, engine, cert, protocol, Pattern.RESUME_SAME));
                }
                if (protocol.equals("TLSv1.3")) {
                    // diagnostic: what the tickets of a full handshake cost the server
                    String name = String.format("1 node, full, %s, %s, %s, no tickets (diagnostic)", protocol, cert.label(),
                            Provider.ENGINE.label);
                    group.add(oneNode(name, new BenchNode.Spec(Provider.ENGINE, cert, protocol, ClientAuth.NONE, null, 0),
                            Pattern.FULL));
                }
                compare(s, group, rounds);
            }
        }

        // OpenSSL alone (s_server / s_time), for what the library itself gives.
        for (String protocol : protocols) {
            try {
                s.reference.add(OpensslReference.measure(certs.ecdsa, protocol, quick ? 2 : 5));
            } catch (IOException e) {
                System.err.println("openssl s_time reference skipped: " + e.getMessage());
            }
        }

        // 2: same node (near-cache) vs another node (Redis), pairs of full + resumed handshakes.
        for (String protocol : protocols) {
            List<Live> group = new ArrayList<>();
            group.add(redisNodes(Report.pairName(protocol, true), 2, certs.ecdsa, protocol, Pattern.PAIR_SAME, redis,
                    ring, "pair", true));
            group.add(redisNodes(Report.pairName(protocol, false), 2, certs.ecdsa, protocol, Pattern.PAIR_OTHER, redis,
                    ring, "pair", true));
            group.add(redisNodes(Report.pairNameOwnThreads(protocol), 2, certs.ecdsa, protocol, Pattern.PAIR_OTHER, redis,
                    ring, "pair", false));
            group.add(redisNodes(Report.pairNameDropIn(protocol), 2, certs.ecdsa, protocol, Pattern.PAIR_OTHER, redis,
                    ring, "pair", true, Provider.ENGINE_DROP_IN));
            compare(s, group, rounds);
        }

        // 3: three nodes, random node per connection: shared Redis vs stock per-node session handling.
        for (String protocol : protocols) {
            for (Certificates.Pair cert : serverCerts) {
                List<Live> group = new ArrayList<>();
                for (Provider provider : STACKS) {
                    String name = String.format("3 nodes, random node, %s, %s, %s%s", protocol, cert.label(), provider.label,
                            provider == Provider.ENGINE ? " + Redis" : "");
                    group.add(provider == Provider.ENGINE
                            ? redisNodes(name, 3, cert, protocol, Pattern.RANDOM_NODE, redis, ring, "rr")
                            : stockNodes(name, 3, provider, cert, protocol));
                }
                compare(s, group, rounds);
            }
        }

        if (only != null) {
            return s; // a partial run, for profiling: no report sections 4 and 5
        }
        // 4: the lookup's added latency, at the store, sequentially.
        lookupLatency(s, redis, ring);

        // 5: bytes per stored session in Redis.
        storedBytes(s, certs, redis, ring);
        return s;
    }

    /**
     * Measures the scenarios of one comparison interleaved: {@code rounds} rounds, each a short slice of
     * every scenario (order reversed every other round), so that the machine's changing load hits all of
     * them alike; the slices of a scenario are summed. Closes every scenario's servers at the end.
     */
    private void compare(Sections s, List<Live> group, int rounds) throws Exception {
        if (only != null && s != null) {
            List<Live> skipped = group.stream().filter(l -> !only.matcher(l.name()).find()).toList();
            for (Live live : skipped) {
                live.closer().close();
            }
            group = group.stream().filter(l -> only.matcher(l.name()).find()).toList();
        }
        try {
            Map<Live, Result> sums = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                List<Live> order = new ArrayList<>(group);
                if (round % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (Live live : order) {
                    Result part = LoadGenerator.run(live.name(), live.client(), live.nodes(), live.pattern(), threads,
                            warmup, slice, live.cpu());
                    sums.merge(live, part, Result::plus);
                }
            }
            if (s != null) {
                for (Live live : group) {
                    record(s, sums.get(live));
                    if (live.metrics() != null) {
                        storeCounts.put(live.name(), live.metrics().summary());
                        if (only != null) { // a partial run writes no report: show them here
                            System.out.println("  counters: " + live.metrics().summary());
                        }
                    }
                }
            }
        } finally {
            for (Live live : group) {
                try {
                    live.closer().close();
                } catch (Exception e) {
                    System.err.println("closing " + live.name() + ": " + e);
                }
            }
        }
    }

    /** The stacks compared in sections 1 and 3 (the drop-in variant is compared where the lookup matters). */
    static final List<Provider> STACKS = List.of(Provider.ENGINE, Provider.NETTY_OPENSSL, Provider.NETTY_JDK);

    /** A scenario whose servers are running. */
    private record Live(String name, NativeClient client, List<InetSocketAddress> nodes, Pattern pattern,
                        LongSupplier cpu, CountingMetrics metrics, AutoCloseable closer) {
        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    private void record(Sections s, Result r) {
        all.add(r);
        s.byName.put(r.name(), r);
        System.out.printf(Locale.ROOT, "%-95s %8.0f hs/s  resumed %5.1f%%  server CPU %6.0f µs/hs  errors %d%s%n",
                r.name(), r.perSecond(), 100 * r.resumptionRate(), r.serverCpuMicrosPerHandshake(), r.errors(),
                r.firstError() == null ? "" : " (" + r.firstError() + ")");
    }

    private NativeClient client(String protocol) throws IOException {
        return NativeClient.builder().protocol(protocol).timeout(Duration.ofSeconds(10)).build();
    }

    /** Closes what was opened so far, in reverse order, when a later step fails. */
    private static AutoCloseable all(List<AutoCloseable> parts) {
        return () -> {
            for (int i = parts.size() - 1; i >= 0; i--) {
                try {
                    parts.get(i).close();
                } catch (Exception e) {
                    System.err.println("close failed: " + e);
                }
            }
        };
    }

    private Live oneNode(String name, Provider provider, Certificates.Pair cert, String protocol, Pattern pattern)
            throws Exception {
        return oneNode(name, new BenchNode.Spec(provider, cert, protocol), pattern);
    }

    private Live oneNode(String name, BenchNode.Spec spec, Pattern pattern) throws Exception {
        String protocol = spec.protocol();
        List<AutoCloseable> parts = new ArrayList<>();
        try {
            SessionStore store = InMemorySessionStore.builder().build();
            parts.add(store);
            BenchNode node = BenchNode.start(spec, store);
            parts.add(node);
            NativeClient client = client(protocol);
            parts.add(client);
            return new Live(name, client, List.of(node.address()), pattern, node::cpuNanos, null, all(parts));
        } catch (Exception e) {
            all(parts).close();
            throw e;
        }
    }

    private Live stockNodes(String name, int count, Provider provider, Certificates.Pair cert, String protocol)
            throws Exception {
        List<AutoCloseable> parts = new ArrayList<>();
        List<BenchNode> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                BenchNode node = BenchNode.start(new BenchNode.Spec(provider, cert, protocol), null);
                parts.add(node);
                nodes.add(node);
            }
            NativeClient client = client(protocol);
            parts.add(client);
            return new Live(name, client, nodes.stream().map(BenchNode::address).toList(), Pattern.RANDOM_NODE,
                    () -> nodes.stream().mapToLong(BenchNode::cpuNanos).sum(), null, all(parts));
        } catch (Exception e) {
            all(parts).close();
            throw e;
        }
    }

    /** As below, with Lettuce on its own threads (the store's default, and what {@code serve} does). */
    private Live redisNodes(String name, int count, Certificates.Pair cert, String protocol, Pattern pattern,
                            RedisProcess redis, SealingKeyRing ring, String prefix) throws Exception {
        return redisNodes(name, count, cert, protocol, pattern, redis, ring, prefix, false);
    }

    /**
     * {@code count} nodes of this engine, each with its own Redis store (own near-cache), one shared
     * Redis; {@code sharedLoop}: each store runs Lettuce on its node's event loop.
     */
    private Live redisNodes(String name, int count, Certificates.Pair cert, String protocol, Pattern pattern,
                            RedisProcess redis, SealingKeyRing ring, String prefix, boolean sharedLoop) throws Exception {
        return redisNodes(name, count, cert, protocol, pattern, redis, ring, prefix, sharedLoop, Provider.ENGINE);
    }

    private Live redisNodes(String name, int count, Certificates.Pair cert, String protocol, Pattern pattern,
                            RedisProcess redis, SealingKeyRing ring, String prefix, boolean sharedLoop,
                            Provider engine) throws Exception {
        List<AutoCloseable> parts = new ArrayList<>();
        List<BenchNode> nodes = new ArrayList<>();
        CountingMetrics metrics = new CountingMetrics();
        try {
            for (int i = 0; i < count; i++) {
                BenchNode node = BenchNode.startWithOwnStore(new BenchNode.Spec(engine, cert, protocol),
                        group -> RedisSessionStores.create(redis.uri(), options(ring, prefix).toBuilder().metrics(metrics)
                                .eventLoopGroup(sharedLoop ? group : null).build()),
                        metrics);
                parts.add(node);
                nodes.add(node);
            }
            NativeClient client = client(protocol);
            parts.add(client);
            return new Live(name, client, nodes.stream().map(BenchNode::address).toList(), pattern,
                    () -> nodes.stream().mapToLong(BenchNode::cpuNanos).sum(), metrics, all(parts));
        } catch (Exception e) {
            all(parts).close();
            throw e;
        }
    }

    private static RedisStoreOptions options(SealingKeyRing ring, String prefix) {
        return RedisStoreOptions.builder().keyRing(ring).keyPrefix(prefix).build();
    }

    private void lookupLatency(Sections s, RedisProcess redis, SealingKeyRing ring) throws Exception {
        int n = quick ? 3000 : 20000;
        s.lookupSamples = n;
        Random random = new Random(42);
        // near-cache large enough for every record put here (the default is 10,000)
        RedisStoreOptions options = options(ring, "lookup").toBuilder().nearCacheMaximumSize(4L * n + 10_000).build();
        RedisClient client = RedisClient.create(redis.uri());
        try (NearCacheSessionStore a = RedisSessionStores.create(redis.uri(), options);
             NearCacheSessionStore b = RedisSessionStores.create(redis.uri(), options);
             NearCacheSessionStore noRetry = RedisSessionStores.create(redis.uri(),
                     options.toBuilder().missRetryDelay(Duration.ZERO).build());
             StatefulRedisConnection<String, String> strings = client.connect(StringCodec.UTF8);
             StatefulRedisConnection<byte[], byte[]> bytes = client.connect(ByteArrayCodec.INSTANCE)) {
            List<SessionKey> tls12 = new ArrayList<>();
            List<SessionKey> tls13 = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                tls12.add(put(a, TlsProtocol.TLS_1_2, random));
                tls13.add(put(a, TlsProtocol.TLS_1_3, random));
            }
            // the raw GET reads a value of the size the store writes, measured in the same loop
            String realKey = strings.sync().keys("lookup:*").getFirst();
            s.storedValueBytes = strings.sync().strlen(realKey).intValue();
            byte[] value = new byte[s.storedValueBytes];
            random.nextBytes(value);
            byte[] rawKey = "raw-get-probe".getBytes(StandardCharsets.UTF_8);
            bytes.sync().set(rawKey, value);
            Histogram near = new Histogram(3);
            Histogram remote = new Histogram(3);
            Histogram take = new Histogram(3);
            Histogram miss = new Histogram(3);
            Histogram missNoRetry = new Histogram(3);
            Histogram raw = new Histogram(3);
            // warm-up: the JIT and connections, on keys not measured afterwards
            for (int i = 0; i < Math.min(n, 2000); i++) {
                a.get(tls12.get(i)).toCompletableFuture().join();
                b.get(new SessionKey("bench", TlsProtocol.TLS_1_2, SessionId.random())).toCompletableFuture().join();
                noRetry.get(new SessionKey("bench", TlsProtocol.TLS_1_2, SessionId.random())).toCompletableFuture().join();
                bytes.sync().get(rawKey);
            }
            // Interleaved, so that load changes (and the invalidation messages each take publishes)
            // hit every kind alike.
            for (int i = 0; i < n; i++) {
                time(near, () -> a.get(tls12.get(random.nextInt(n))).toCompletableFuture().join());
                SessionKey unseen = tls12.get(i); // b never read it: a Redis round trip
                time(remote, () -> b.get(unseen).toCompletableFuture().join());
                time(take, () -> b.take(tls13.get(0)).toCompletableFuture().join());
                tls13.removeFirst();
                time(miss, () -> b.get(new SessionKey("bench", TlsProtocol.TLS_1_2, SessionId.random())).toCompletableFuture().join());
                time(missNoRetry, () -> noRetry.get(new SessionKey("bench", TlsProtocol.TLS_1_2, SessionId.random())).toCompletableFuture().join());
                time(raw, () -> bytes.sync().get(rawKey));
            }
            s.lookup.add(row("near-cache hit (TLS 1.2 `get`, same node)", near));
            s.lookup.add(row("Redis hit (TLS 1.2 `get`, other node: GET + open + decode)", remote));
            s.lookup.add(row("Redis take (TLS 1.3 `take`: GETDEL + open + decode)", take));
            s.lookup.add(row("miss (`get` of an unknown id: GET nil, and again after the "
                    + options.missRetryDelay().toMillis() + " ms miss retry)", miss));
            s.lookup.add(row("miss with the retry off (`missRetryDelay(ZERO)`: one GET nil)", missNoRetry));
            s.lookup.add(row("raw Lettuce sync `GET` of a " + s.storedValueBytes + "-byte value", raw));
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static SessionKey put(SessionStore store, TlsProtocol protocol, Random random) {
        byte[] state = new byte[147];
        random.nextBytes(state);
        Instant now = Instant.now();
        SessionKey key = new SessionKey("bench", protocol, SessionId.random());
        store.put(new SessionRecord(key, "localhost", null, now, now.plus(Duration.ofHours(1)), state))
                .toCompletableFuture().join();
        return key;
    }

    private static void time(Histogram h, Supplier<?> op) {
        long t0 = System.nanoTime();
        op.get();
        h.recordValue(Math.max(1, (System.nanoTime() - t0) / 100)); // units of 0.1 µs
    }

    private static String[] row(String what, Histogram h) {
        return new String[] {what, us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                us(h.getValueAtPercentile(99)), us(h.getMean()), String.valueOf(h.getTotalCount())};
    }

    private static String us(double tenthsOfMicros) {
        return String.format(Locale.ROOT, "%.1f", tenthsOfMicros / 10);
    }

    private void storedBytes(Sections s, Certificates certs, RedisProcess redis, SealingKeyRing ring) throws Exception {
        RedisClient lettuce = RedisClient.create(redis.uri());
        // Binary: the store's keys are bytes (KeyLayout), which a String codec would mangle into keys that do not exist.
        try (StatefulRedisConnection<byte[], byte[]> c = lettuce.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> cmd = c.sync();
            for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
                for (boolean clientCert : new boolean[] {false, true}) {
                    String prefix = "size-" + protocol + (clientCert ? "-cert" : "-nocert");
                    try (SessionStore store = RedisSessionStores.create(redis.uri(), options(ring, prefix));
                         BenchNode node = BenchNode.start(new BenchNode.Spec(Provider.ENGINE, certs.ecdsa, protocol,
                                 clientCert ? ClientAuth.REQUIRE : ClientAuth.NONE, clientCert ? certs.client.certificate() : null), store)) {
                        NativeClient.Builder b = NativeClient.builder().protocol(protocol);
                        if (clientCert) {
                            b.clientCertificate(certs.client.certificate(), certs.client.key());
                        }
                        int handshakes = 20;
                        try (NativeClient client = b.build()) {
                            for (int i = 0; i < handshakes; i++) {
                                NativeClient.Handshake h = client.connect(node.address(), null, BenchNode.REQUEST, 2);
                                if (h.session() != null) {
                                    h.session().close();
                                }
                            }
                        }
                        Thread.sleep(200); // puts are asynchronous
                        long count = 0;
                        long memory = 0;
                        long length = 0;
                        ScanIterator<byte[]> keys = ScanIterator.scan(cmd, ScanArgs.Builder.matches(prefix + ":*").limit(100));
                        while (keys.hasNext()) {
                            byte[] key = keys.next();
                            Long m = cmd.memoryUsage(key);
                            if (m != null) {
                                count++;
                                memory += m;
                                length += cmd.strlen(key);
                            }
                        }
                        if (count == 0) { // every handshake stored a session: none found means this measurement is broken
                            throw new IllegalStateException("no stored sessions found under " + prefix + ":* after "
                                    + handshakes + " handshakes");
                        }
                        s.bytes.add(new String[] {protocol, clientCert ? "yes (ECDSA P-256, self-signed)" : "no",
                                String.valueOf(handshakes), String.valueOf(count),
                                String.valueOf(length / count), String.valueOf(memory / count)});
                    }
                }
            }
        } finally {
            lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private void chart(Path png) throws IOException {
        List<BarChart.Bar> bars = new ArrayList<>();
        for (Result r : all) {
            int group = r.name().startsWith("1 node, resumed") ? 1
                    : r.name().startsWith("2 nodes") ? 2
                    : r.name().contains(Provider.ENGINE.label) ? 0
                    : r.name().contains(Provider.NETTY_OPENSSL.label) ? 3 : 4;
            bars.add(new BarChart.Bar(r.name(), r.perSecond(), group));
        }
        BarChart.write(png, "Handshakes per second (" + threads + " client threads, loopback; compare bars of one run only)",
                "handshakes/s", bars, List.of("this engine, full / 3-node", "this engine, resumed (1 node)",
                        "this engine, 2 nodes + Redis (full+resume pairs)", Provider.NETTY_OPENSSL.label, Provider.NETTY_JDK.label));
    }

    List<Result> results() {
        return all;
    }

    int threads() {
        return threads;
    }

    boolean quick() {
        return quick;
    }

    Duration warmup() {
        return warmup;
    }

    int rounds() {
        return rounds;
    }

    Duration slice() {
        return slice;
    }

    Duration measure() {
        return measure;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String now() {
        return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC).withNano(0)) + "Z";
    }
}
