package io.tlssessioncache.server.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.netty.OpenSslCli;
import io.tlssessioncache.netty.Processes;
import io.tlssessioncache.redis.RedisServers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole story with real parts: two {@code tls-session-cache serve} processes share one Redis
 * (same certificate, same sealing key file); {@code openssl s_client} makes a TLS 1.2 session per
 * SNI name on server A and resumes both on server B (so B's near-cache holds them); then
 * {@code admin evict --server-name a.test}; afterwards B (and A) make a new session for a.test and
 * still resume b.test. TLS 1.2 sessions are reusable, so one session per name serves every step.
 */
@Timeout(180)
class AdminEndToEndTest {

    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+:\\d+)");

    @TempDir
    Path dir;

    @Test
    void evictByServerNameStopsResumptionOnTheOtherServerOnly() throws Exception {
        Path[] certificate = OpenSslCli.selfSigned(dir, "localhost"); // {cert, key}
        Path keys = dir.resolve("sealing.keys");
        Files.writeString(keys, SealingKeyRing.newKeyLine(1) + "\n");
        Files.setPosixFilePermissions(keys, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String store = REDIS.standaloneServer().uri();

        List<Process> servers = new ArrayList<>();
        try {
            String a = startServer(servers, certificate, keys, store);
            String b = startServer(servers, certificate, keys, store);

            Path sessA = dir.resolve("a.pem");
            Path sessB = dir.resolve("b.pem");
            assertTrue(sClient(a, "a.test", sessA, null).contains("New,"));
            assertTrue(sClient(a, "b.test", sessB, null).contains("New,"));
            // Both resume on the other server before the eviction (so the test can fail), and sit in its near-cache.
            assertReused(sClient(b, "a.test", null, sessA));
            assertReused(sClient(b, "b.test", null, sessB));

            AdminCliTest.Run evict = AdminCliTest.run("admin", "--store", store, "--sealing-key-file", keys.toString(),
                    "evict", "--server-name", "a.test");
            assertEquals(0, evict.exitCode(), evict.toString());
            assertTrue(evict.out().contains("swept: deleted 1"), evict.toString());

            String afterOnB = sClient(b, "a.test", null, sessA);
            assertTrue(afterOnB.contains("New,") && !afterOnB.contains("Reused,"), afterOnB);
            assertReused(sClient(b, "b.test", null, sessB));
            String afterOnA = sClient(a, "a.test", null, sessA);
            assertTrue(afterOnA.contains("New,"), afterOnA);
            assertReused(sClient(a, "b.test", null, sessB));
        } finally {
            for (Process p : servers) {
                p.destroy();
            }
            for (Process p : servers) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static void assertReused(String sClientOutput) {
        assertTrue(sClientOutput.lines().anyMatch(l -> l.startsWith("Reused,")), sClientOutput);
    }

    /** {@code tls-session-cache serve} in a child JVM on this test's class path; returns its HOST:PORT. */
    private String startServer(List<Process> servers, Path[] certificate, Path keys, String store) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
                "io.tlssessioncache.server.TlsSessionCacheCli", "serve", "--listen", "127.0.0.1:0",
                "--cert", certificate[0].toString(), "--key", certificate[1].toString(), "--store", store,
                "--sealing-key-file", keys.toString(),
                // Generous: a lookup slower than the deadline is a full handshake, and this machine is busy.
                "--lookup-deadline", "2s")
                .redirectError(dir.resolve("server-" + servers.size() + ".log").toFile())
                .start();
        servers.add(p);
        BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    stdout.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        String line = stdout.poll(60, TimeUnit.SECONDS);
        assertNotNull(line, "server printed no 'listening on' line; its log: "
                + Files.readString(dir.resolve("server-" + (servers.size() - 1) + ".log")));
        Matcher m = LISTENING.matcher(line);
        assertTrue(m.find(), line);
        return m.group(1);
    }

    /** openssl s_client, TLS 1.2, with SNI; sends a request and reads until the server closes. */
    private static String sClient(String hostPort, String serverName, Path sessOut, Path sessIn) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", hostPort,
                "-servername", serverName, "-tls1_2", "-ign_eof"));
        if (sessOut != null) {
            command.addAll(List.of("-sess_out", sessOut.toString()));
        }
        if (sessIn != null) {
            command.addAll(List.of("-sess_in", sessIn.toString()));
        }
        return Processes.run(command, null, "GET / HTTP/1.0\r\nHost: " + serverName + "\r\n\r\n",
                Duration.ofSeconds(20)).output();
    }
}
