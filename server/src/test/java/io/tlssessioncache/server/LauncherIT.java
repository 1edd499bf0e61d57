package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command as a user runs it: {@code bin/tls-session-cache serve} as a separate
 * process, from another directory, driven by real clients, stopped with SIGTERM. Runs after
 * {@code package} (the launcher uses the packaged jar and its lib directory).
 */
@Timeout(180)
class LauncherIT {

    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");
    private static final Pattern GENERATED = Pattern.compile("self-signed certificate for localhost \\((\\S+)\\)");

    @TempDir
    Path dir;

    private static Path launcher() {
        Path root = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().getParent();
        Path launcher = root.resolve("bin/tls-session-cache");
        assertTrue(Files.isExecutable(launcher), launcher + " is not executable");
        return launcher;
    }

    @Test
    void serveFromTheLauncherResumesAcrossItsListenersAndStopsOnSigterm() throws Exception {
        Path launcher = launcher();

        Process process = new ProcessBuilder(launcher.toString(), "serve", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0")
                .directory(dir.toFile()) // works from any current directory
                .start();
        try {
            BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
            Clients.eachLine(process.getInputStream(), stdout::add);
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> Clients.readAll(process.getErrorStream()), Clients.OWN_THREAD);

            List<InetSocketAddress> listeners = new ArrayList<>();
            while (listeners.size() < 2) {
                // Generous: on first use the launcher builds the project.
                String line = stdout.poll(150, TimeUnit.SECONDS);
                assertNotNull(line, "no 'listening on' line; stderr so far may say why");
                Matcher m = LISTENING.matcher(line);
                assertTrue(m.matches(), "unexpected stdout line: " + line);
                listeners.add(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
            }
            InetSocketAddress a = listeners.get(0);
            InetSocketAddress b = listeners.get(1);

            Path session = dir.resolve("session.pem");
            Clients.SClientResult first = Clients.sClient(a, "-tls1_3", session, null);
            assertTrue(first.isNew(), first::toString);
            Clients.SClientResult second = Clients.sClient(b, "-tls1_3", null, session);
            assertTrue(second.reused(), second::toString);
            assertTrue(second.body().startsWith("resumed: yes\n"), second::toString);

            String http2 = Clients.curl(a, "--http2", "/");
            assertTrue(http2.contains("http_version=2 status=200"), http2);

            // SIGTERM through the handle: Process.destroy() would also close our ends of its pipes.
            assertTrue(process.toHandle().destroy(), "cannot signal the server");
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
            assertEquals(143, process.exitValue(), "exit status after SIGTERM (128 + 15)");
            String log = stderr.get(5, TimeUnit.SECONDS);
            assertTrue(log.contains("shutting down"), log);
            Matcher generated = GENERATED.matcher(log);
            assertTrue(generated.find(), log);
            assertFalse(Files.exists(Path.of(generated.group(1))), "the generated certificate was not deleted");
        } finally {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code bin/tls-session-cache aot-cache} trains and writes a JDK AOT cache, and the next
     * {@code serve} starts on it. {@code -XX:AOTMode=on} (through JDK_JAVA_OPTIONS) makes the JVM
     * refuse to start if the cache it is given cannot be used, instead of running without it.
     */
    @Test
    void aotCacheFromTheLauncherIsWrittenAndServeStartsOnIt() throws Exception {
        Path launcher = launcher();
        Path cache = dir.resolve("node.aot");
        ProcessBuilder train = new ProcessBuilder(launcher.toString(), "aot-cache", "--seconds", "2")
                .directory(dir.toFile()).redirectErrorStream(true);
        train.environment().put("TLS_SESSION_CACHE_AOT_CACHE", cache.toString());
        Process training = train.start();
        String trained = Clients.readAll(training.getInputStream());
        assertTrue(training.waitFor(120, TimeUnit.SECONDS), "aot-cache did not finish");
        assertEquals(0, training.exitValue(), trained);
        assertTrue(trained.matches("(?s).*trained for 2 s: TLSv1\\.3 full [1-9]\\d*, resumed [1-9].*TLSv1\\.2 full [1-9]\\d*, resumed [1-9].*"), trained);
        assertTrue(Files.size(cache) > 1 << 20, "cache of " + Files.size(cache) + " bytes");
        assertFalse(Files.exists(dir.resolve("node.aot.config")), "the training configuration was left behind");

        ProcessBuilder serve = new ProcessBuilder(launcher.toString(), "serve", "--listen", "127.0.0.1:0").directory(dir.toFile());
        serve.environment().put("TLS_SESSION_CACHE_AOT_CACHE", cache.toString());
        serve.environment().put("JDK_JAVA_OPTIONS", "-XX:AOTMode=on");
        Process process = serve.start();
        try {
            BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
            Clients.eachLine(process.getInputStream(), stdout::add);
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> Clients.readAll(process.getErrorStream()), Clients.OWN_THREAD);
            String line = stdout.poll(60, TimeUnit.SECONDS);
            if (line == null) {
                process.destroyForcibly();
                throw new AssertionError("serve did not start on the AOT cache:\n" + stderr.get(10, TimeUnit.SECONDS));
            }
            Matcher m = LISTENING.matcher(line);
            assertTrue(m.matches(), "unexpected stdout line: " + line);
            // the launcher execs the JVM: this process is the JVM, and it was given the cache
            List<String> arguments = List.of(process.toHandle().info().arguments().orElse(new String[0]));
            assertTrue(arguments.contains("-XX:AOTCache=" + cache), arguments::toString);

            InetSocketAddress a = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
            Path session = dir.resolve("session.pem");
            assertTrue(Clients.sClient(a, "-tls1_2", session, null).isNew());
            Clients.SClientResult again = Clients.sClient(a, "-tls1_2", null, session);
            assertTrue(again.reused(), again::toString);

            assertTrue(process.toHandle().destroy(), "cannot signal the server");
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
            String log = stderr.get(5, TimeUnit.SECONDS);
            assertFalse(log.contains("[error"), log);
            assertFalse(log.contains("[warning][aot]"), log);
        } finally {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
