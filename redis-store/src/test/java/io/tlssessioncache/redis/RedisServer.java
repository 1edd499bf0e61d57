package io.tlssessioncache.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} (or sentinel) started by a test, on 127.0.0.1 and a free port, with
 * persistence off: a local process or a container, as {@link RedisBackend} chose for this JVM. It
 * can be killed and started again on the same port (outage tests), paused (SIGSTOP or a frozen
 * container: a hung server, connections stay up, nothing answers), and closed.
 *
 * <p>Every node is also registered with a JVM shutdown hook of its backend that kills it, so no
 * Redis outlives the test JVM even when a test class forgets to close.
 */
public final class RedisServer implements AutoCloseable {
    private final String name;
    private final Path dir;
    private final int port;
    private final List<String> args;
    private final boolean tls;
    private volatile RedisBackend.Node node;

    private RedisServer(String name, Path dir, int port, List<String> args, boolean tls) {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.args = List.copyOf(args);
        this.tls = tls;
    }

    /** Starts a plain server on a free port; {@code extraArgs} are appended to the command line. */
    public static RedisServer start(Path dir, String... extraArgs) {
        return start(dir, freePort(false), extraArgs);
    }

    /** Starts a plain server on {@code port}. */
    public static RedisServer start(Path dir, int port, String... extraArgs) {
        Path nodeDir = mkdirs(dir.resolve("redis-" + port));
        List<String> cmd = new ArrayList<>(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", nodeDir.toString(),
                "--repl-diskless-sync-delay", "0", "--loglevel", "warning"));
        cmd.addAll(List.of(extraArgs));
        RedisServer s = new RedisServer("redis-" + port, nodeDir, port, cmd, false);
        s.launch();
        return s;
    }

    /**
     * Starts a TLS-only server ({@code --port 0 --tls-port P}) with a fresh test CA and a server
     * certificate for 127.0.0.1 (made with the {@code openssl} CLI); {@link #caCertificate()} is the CA.
     */
    public static RedisServer startTls(Path dir) {
        int port = freePort(false);
        Path nodeDir = mkdirs(dir.resolve("redis-tls-" + port));
        String d = nodeDir.toString();
        run(nodeDir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", d + "/ca.key", "-out", d + "/ca.crt", "-days", "1", "-subj", "/CN=redis-test-ca");
        run(nodeDir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=127.0.0.1");
        try {
            Files.writeString(nodeDir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(nodeDir, "openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
                "-CAcreateserial", "-out", d + "/server.crt", "-days", "1", "-extfile", d + "/ext.cnf");
        List<String> cmd = List.of("--port", "0", "--tls-port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", d,
                "--tls-cert-file", d + "/server.crt", "--tls-key-file", d + "/server.key",
                "--tls-ca-cert-file", d + "/ca.crt", "--tls-auth-clients", "no", "--loglevel", "warning");
        RedisServer s = new RedisServer("redis-tls-" + port, nodeDir, port, cmd, true);
        s.launch();
        return s;
    }

    /** The CA that signed a {@link #startTls} server's certificate (PEM). */
    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    private static void run(Path dir, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("openssl.log").toFile())).start();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("failed: " + String.join(" ", cmd) + " (see " + dir.resolve("openssl.log") + ")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a sentinel monitoring {@code masterName} at {@code master} with quorum 1. */
    public static RedisServer startSentinel(Path dir, String masterName, RedisServer master) {
        int port = freePort(false);
        Path nodeDir = mkdirs(dir.resolve("sentinel-" + port));
        Path conf = nodeDir.resolve("sentinel.conf");
        try {
            // Sentinel rewrites its config file, so it must be a writable file of its own.
            Files.writeString(conf, String.join("\n",
                    "port " + port,
                    "bind 127.0.0.1",
                    "dir " + nodeDir,
                    "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " 1",
                    "sentinel down-after-milliseconds " + masterName + " 2000",
                    "sentinel failover-timeout " + masterName + " 5000",
                    ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RedisServer s = new RedisServer("sentinel-" + port, nodeDir, port,
                List.of(conf.toString(), "--sentinel"), false);
        s.launch();
        return s;
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** {@code redis://127.0.0.1:port}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isRunning() {
        RedisBackend.Node n = node;
        return n != null && n.alive();
    }

    private synchronized void launch() {
        if (node == null) {
            node = RedisBackend.get().start(name, dir, args);
        } else if (!node.alive()) {
            node.startAgain();
        } else {
            return;
        }
        awaitPing(Duration.ofSeconds(10));
    }

    /** Starts the node again on the same port, with the same arguments (after {@link #stop}). */
    public void restart() {
        launch();
    }

    /** Kills the node (SIGKILL: like a crash) and waits until it is gone. */
    public synchronized void stop() {
        if (node != null) {
            node.kill();
        }
    }

    /** Freezes the node (SIGSTOP, or a paused container): it keeps its sockets but answers nothing. */
    public void pause() {
        node.pause();
    }

    /** Undoes {@link #pause}. */
    public void resume() {
        node.resume();
    }

    /** Runs {@code redis-cli -h 127.0.0.1 -p port args...} and returns its standard output. */
    public String cli(String... args) {
        return RedisServers.cli(port, args);
    }

    /**
     * Sends PING over a raw socket until +PONG (or a -LOADING/-NOAUTH error, which is alive too);
     * a TLS port only has to accept the TCP connection.
     */
    private void awaitPing(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            if (!isRunning()) {
                throw new IllegalStateException(name + " exited at start; " + node.diagnostics());
            }
            if (ping()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not answer PING within " + max);
            }
            sleep(20);
        }
    }

    private boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            if (tls) {
                return true;
            }
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            int c = in.read();
            return c == '+' || c == '-';
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        if (node != null) {
            node.close();
        }
    }

    @Override
    public String toString() {
        return name;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path mkdirs(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A port that is free on 127.0.0.1 now (and never handed out before in this JVM); with
     * {@code clusterBus}, port + 10000 must be free too (a cluster node's bus port).
     */
    static int freePort(boolean clusterBus) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int p = 20000 + r.nextInt(25000);
            if (HANDED_OUT.contains(p) || !isFree(p) || (clusterBus && !isFree(p + 10000))) {
                continue;
            }
            if (HANDED_OUT.add(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no free port found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
