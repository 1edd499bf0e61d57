package io.tlssessioncache.server.admin;

import static io.tlssessioncache.redis.AdminFixtures.hits;
import static io.tlssessioncache.redis.AdminFixtures.put;
import static io.tlssessioncache.redis.AdminFixtures.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TestRecords;
import io.tlssessioncache.redis.AdminFixtures;
import io.tlssessioncache.redis.RedisServers;
import io.tlssessioncache.server.TlsSessionCacheCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls-session-cache admin} in-process against a real Redis: usage errors (exit 2), an
 * unreachable store (exit 3, within seconds), {@code --all} without {@code --yes}, nothing matched
 * (exit 1), and {@code --json} output checked by a real JSON parser (Python's).
 */
@Timeout(90)
class AdminCliTest {

    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    static final String KEY_LINE = SealingKeyRing.newKeyLine(1);
    static final SealingKeyRing RING = SealingKeyRing.parse(KEY_LINE);

    @TempDir
    static Path dir;
    static Path keyFile;

    @BeforeAll
    static void keyFile() throws IOException {
        keyFile = dir.resolve("sealing.keys");
        Files.writeString(keyFile, KEY_LINE + "\n");
        Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    record Run(int exitCode, String out, String err, long millis) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = TlsSessionCacheCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        long t0 = System.nanoTime();
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** {@code admin --store <standalone> --key-prefix prefix --sealing-key-file F} + args. */
    static Run admin(String prefix, String... args) {
        List<String> all = new ArrayList<>(List.of("admin", "--store", REDIS.standaloneServer().uri(),
                "--key-prefix", prefix, "--sealing-key-file", keyFile.toString()));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    /** Runs Python's json parser on {@code text} and evaluates {@code expression} on the result {@code d}. */
    static String json(String text, String expression) throws Exception {
        Process p = new ProcessBuilder("python3", "-c",
                "import json,sys; d=json.loads(sys.stdin.read()); print(" + expression + ")")
                .redirectErrorStream(true).start();
        try {
            try (var in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "not JSON?\n" + text + "\npython: " + out);
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void badUsageIsExit2WithAClearMessage() {
        String uri = REDIS.standaloneServer().uri();
        record Case(String expected, String... args) {
        }
        List<Case> cases = List.of(
                new Case("Missing the store: give --store URI", "admin", "stats"),
                new Case("Missing required argument", "admin", "--store", uri, "evict"),
                new Case("mutually exclusive", "admin", "--store", uri, "evict", "--server-name", "a", "--all"),
                new Case("is not a session id", "admin", "--store", uri, "evict", "--id", "xyz"),
                new Case("is not a SHA-256", "admin", "--store", uri, "evict", "--client-cert-sha256", "12ab"),
                new Case("is not a duration", "admin", "--store", uri, "evict", "--older-than", "soon"),
                new Case("Unknown option: '--bogus'", "admin", "--store", uri, "evict", "--all", "--bogus"),
                new Case("not a Redis URI", "admin", "--store", "http://127.0.0.1:1", "stats"),
                new Case("--sealing-key-file /nonexistent: no such readable file",
                        "admin", "--store", uri, "--sealing-key-file", "/nonexistent", "stats"),
                new Case("--yes only confirms --all", "admin", "--store", uri, "evict", "--server-name", "a", "--yes"),
                new Case("Missing required subcommand", "admin", "--store", uri));
        for (Case c : cases) {
            Run r = run(c.args());
            assertEquals(2, r.exitCode(), String.join(" ", c.args()) + "\n" + r);
            assertTrue(r.err().contains(c.expected()), "expected '" + c.expected() + "' in\n" + r);
            assertTrue(r.err().startsWith("error: ") || r.err().contains("Usage:"), r.toString());
        }
    }

    @Test
    void aKeyRingFileOthersCanReadIsRefusedAndStoreUrisNeverShowTheirPassword() throws Exception {
        Path shared = dir.resolve("shared.keys");
        Files.writeString(shared, KEY_LINE + "\n");
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Run refused = run("admin", "--store", REDIS.standaloneServer().uri(), "--sealing-key-file", shared.toString(),
                "stats");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("mode 0640") && refused.err().contains("chmod 600 " + shared), refused.toString());

        java.util.Random random = new java.util.Random(22);
        for (String shape : io.tlssessioncache.redis.SecretUris.SHAPES) {
            String password = io.tlssessioncache.redis.SecretUris.password(random);
            Run r = run("admin", "--store", io.tlssessioncache.redis.SecretUris.uri(shape, "tls-admin", password),
                    "--timeout", "1s", "stats");
            assertTrue(r.exitCode() == 2 || r.exitCode() == 3, shape + ": " + r);
            io.tlssessioncache.redis.SecretUris.assertNoPart(password, r.out() + r.err(), "admin --store " + shape);
        }
    }

    @Test
    void helpListsCommandsOptionsAndExitCodes() {
        Run top = run("--help");
        assertTrue(top.out().contains("admin"), top.toString());
        Run admin = run("admin", "--help");
        assertEquals(0, admin.exitCode(), admin.toString());
        for (String s : List.of("evict", "stats", "inspect", "--store", "--key-prefix", "--sealing-key-file",
                "3   store unreachable", "TLS_SESSION_CACHE_STORE")) {
            assertTrue(admin.out().contains(s), s + " missing from\n" + admin.out());
        }
        Run evict = run("admin", "evict", "--help");
        assertEquals(0, evict.exitCode(), evict.toString());
        for (String s : List.of("--id", "--server-name", "--client-cert-sha256", "--older-than", "--all", "--yes",
                "--dry-run", "--json", "--no-sweep", "--max-keys-per-second")) {
            assertTrue(evict.out().contains(s), s + " missing from\n" + evict.out());
        }
    }

    @Test
    void unreachableStoreIsExit3WithinSeconds() throws Exception {
        // Untimed first: loading Lettuce's and Netty's classes takes seconds on a busy 2-core machine.
        assertEquals(3, run("admin", "--store", "redis://127.0.0.1:1", "stats").exitCode());
        Run refused = run("admin", "--store", "redis://tls-admin:secret-pw@127.0.0.1:1", "stats");
        assertEquals(3, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("unreachable"), refused.toString());
        assertFalse(refused.err().contains("secret-pw"), refused.toString());
        assertTrue(refused.millis() < 5_000, refused.millis() + " ms");

        // A port that accepts connections and never answers (a hung Redis): the timeouts bound it.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException ignored) {
                    // closed
                }
            });
            Run hung = run("admin", "--store", "redis://127.0.0.1:" + silent.getLocalPort(), "evict", "--all", "--yes");
            assertEquals(3, hung.exitCode(), hung.toString());
            assertTrue(hung.err().contains("unreachable"), hung.toString());
            assertTrue(hung.millis() < 10_000, hung.millis() + " ms");
            acceptor.interrupt();
        }
        Run cluster = run("admin", "--store", "redis-cluster://127.0.0.1:1,127.0.0.1:2", "--timeout", "1s", "stats");
        assertEquals(3, cluster.exitCode(), cluster.toString());
        assertTrue(cluster.millis() < 10_000, cluster.millis() + " ms");
    }

    @Test
    void evictBySelectorsWithJsonAndExitCodes() throws Exception {
        String prefix = AdminFixtures.freshPrefix();
        try (NearCacheSessionStore store = AdminFixtures.openStore(REDIS.standaloneServer().uri(), prefix, RING)) {
            byte[] cert = TestRecords.bytes(32, 99);
            SessionRecord a1 = record("a.test", null, Duration.ofMinutes(1));
            SessionRecord a2 = record("a.test", null, Duration.ofMinutes(1));
            SessionRecord b = record("b.test", null, Duration.ofMinutes(1));
            SessionRecord x = record("b.test", cert, Duration.ofMinutes(1));
            SessionRecord old = record("c.test", null, Duration.ofHours(5));
            put(store, a1, a2, b, x, old);

            // --all without --yes: refused, nothing changes.
            Run noYes = admin(prefix, "evict", "--all");
            assertEquals(2, noYes.exitCode(), noYes.toString());
            assertTrue(noYes.err().contains("add --yes to confirm"), noYes.toString());
            assertEquals(5, AdminFixtures.countKeys(REDIS.standaloneServer(), prefix));

            // Dry run with JSON: counts, changes nothing.
            Run dry = admin(prefix, "evict", "--server-name", "A.test", "--dry-run", "--json");
            assertEquals(0, dry.exitCode(), dry.toString());
            assertEquals("2 True False 0", json(dry.out(), "d['matched'], d['dryRun'], d['watermark']['written'], d['sweep']['deleted']")
                    .replaceAll("[(),]", ""));
            assertTrue(hits(store, a1.key()));

            Run byName = admin(prefix, "evict", "--server-name", "a.test", "--json");
            assertEquals(0, byName.exitCode(), byName.toString());
            assertEquals("2 2 SERVER_NAME a.test", json(byName.out(),
                    "d['sweep']['matched'], d['sweep']['deleted'], d['watermark']['scope'], d['watermark']['value']")
                    .replaceAll("[(),']", ""));
            AdminFixtures.awaitMiss(store, a1.key());
            AdminFixtures.awaitMiss(store, a2.key());
            assertTrue(hits(store, b.key()));

            // Again: nothing left to match.
            Run again = admin(prefix, "evict", "--server-name", "a.test");
            assertEquals(1, again.exitCode(), again.toString());

            Run byCert = admin(prefix, "evict", "--client-cert-sha256",
                    HexFormat.ofDelimiter(":").withUpperCase().formatHex(cert));
            assertEquals(0, byCert.exitCode(), byCert.toString());
            assertTrue(byCert.out().contains("deleted 1"), byCert.toString());
            AdminFixtures.awaitMiss(store, x.key());

            Run byAge = admin(prefix, "evict", "--older-than", "1h", "--max-keys-per-second", "100", "--scan-count", "2");
            assertEquals(0, byAge.exitCode(), byAge.toString());
            AdminFixtures.awaitMiss(store, old.key());
            assertTrue(hits(store, b.key()));

            Run stats = admin(prefix, "stats", "--json");
            assertEquals(0, stats.exitCode(), stats.toString());
            assertEquals("1 1 3", json(stats.out(),
                    "d['total'], d['byServerName']['b.test'], len(d['watermarks'])").replaceAll("[(),]", ""));
            Run statsText = admin(prefix, "stats");
            assertTrue(statsText.out().contains("sessions: 1"), statsText.toString());

            Run inspect = admin(prefix, "inspect", "--id", b.id().toHex(), "--json");
            assertEquals(0, inspect.exitCode(), inspect.toString());
            assertEquals("b.test TLSv1.3 150", json(inspect.out(),
                    "d['sessions'][0]['serverName'], d['sessions'][0]['protocol'], d['sessions'][0]['stateSize']")
                    .replaceAll("[(),']", ""));
            assertFalse(inspect.out().contains(HexFormat.of().formatHex(b.state()).substring(0, 16)));
            assertEquals(1, admin(prefix, "inspect", "--id", a1.id().toHex()).exitCode());

            Run byId = admin(prefix, "evict", "--id", b.id().toHex(), "--json");
            assertEquals(0, byId.exitCode(), byId.toString());
            assertEquals("1", json(byId.out(), "len(d['keys'])"));
            AdminFixtures.awaitMiss(store, b.key());
            assertEquals(1, admin(prefix, "evict", "--id", b.id().toHex()).exitCode());

            // Without a key ring: a selector writes the watermark but cannot sweep, and says so.
            SessionRecord c = record("d.test", null, Duration.ofMinutes(1));
            put(store, c);
            Run blind = run("admin", "--store", REDIS.standaloneServer().uri(), "--key-prefix", prefix,
                    "evict", "--server-name", "d.test");
            assertEquals(0, blind.exitCode(), blind.toString());
            assertTrue(blind.out().contains("needs the sealing key ring"), blind.toString());
            AdminFixtures.awaitMiss(store, c.key());
            assertEquals(2, run("admin", "--store", REDIS.standaloneServer().uri(), "--key-prefix", prefix,
                    "evict", "--server-name", "d.test", "--dry-run").exitCode());

            Run all = run("admin", "--store", REDIS.standaloneServer().uri(), "--key-prefix", prefix,
                    "evict", "--all", "--yes", "--json");
            assertEquals(0, all.exitCode(), all.toString());
            assertEquals("1", json(all.out(), "d['sweep']['deleted']"));
            assertEquals(1, AdminFixtures.countKeys(REDIS.standaloneServer(), prefix)); // the watermark hash
        }
    }
}
