package io.tlssessioncache.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that starts real Redis processes for a test class and kills them afterwards:
 * <pre>
 * {@literal @}RegisterExtension
 * static final RedisServers REDIS = RedisServers.standalone();   // or .cluster(), .standaloneAndCluster()
 * ... REDIS.standaloneServer().uri(), REDIS.clusterServers().uri()
 * </pre>
 * Processes run from a fresh temporary directory on free loopback ports with persistence off. When
 * {@code redis-server} is not installed the class is skipped (an assumption), except when the
 * environment variable {@code CI} is set: then it fails with a clear message, because CI must run
 * these tests. (Testcontainers is not used: these machines have no Docker daemon, and a local
 * {@code redis-server} starts in milliseconds.)
 */
public final class RedisServers implements BeforeAllCallback, AfterAllCallback {
    private final boolean wantStandalone;
    private final boolean wantCluster;
    private Path dir;
    private RedisServer standalone;
    private RedisCluster cluster;
    private final List<AutoCloseable> extra = new ArrayList<>();

    private RedisServers(boolean standalone, boolean cluster) {
        this.wantStandalone = standalone;
        this.wantCluster = cluster;
    }

    public static RedisServers standalone() {
        return new RedisServers(true, false);
    }

    public static RedisServers cluster() {
        return new RedisServers(false, true);
    }

    public static RedisServers standaloneAndCluster() {
        return new RedisServers(true, true);
    }

    /** Skips (or, with {@code CI} set, fails) unless {@code redis-server} and {@code redis-cli} are on the PATH. */
    public static void requireRedis() {
        boolean present = which("redis-server") != null && which("redis-cli") != null;
        if (present) {
            return;
        }
        String msg = "redis-server/redis-cli not found on PATH (apt-get install redis-server)";
        if (System.getenv("CI") != null) {
            throw new IllegalStateException(msg + ": CI must run the Redis tests");
        }
        Assumptions.assumeTrue(false, msg + ": skipping Redis tests");
    }

    static String redisServerBinary() {
        String p = which("redis-server");
        return p == null ? "redis-server" : p;
    }

    private static String which(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        requireRedis();
        dir = Files.createTempDirectory("redis-test-");
        try {
            if (wantStandalone) {
                standalone = RedisServer.start(dir);
            }
            if (wantCluster) {
                cluster = RedisCluster.start(dir);
            }
        } catch (RuntimeException e) {
            afterAll(context);
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (AutoCloseable c : extra.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort: the shutdown hook kills whatever is left
            }
        }
        extra.clear();
        if (cluster != null) {
            cluster.close();
        }
        if (standalone != null) {
            standalone.close();
        }
        if (dir != null) {
            deleteTree(dir);
        }
    }

    /** The standalone server (started before the class's tests). */
    public RedisServer standaloneServer() {
        if (standalone == null) {
            throw new IllegalStateException("no standalone server requested");
        }
        return standalone;
    }

    /** The cluster (started before the class's tests). */
    public RedisCluster clusterServers() {
        if (cluster == null) {
            throw new IllegalStateException("no cluster requested");
        }
        return cluster;
    }

    /** Another standalone server, stopped with the others after the class. */
    public RedisServer startAnother(String... extraArgs) {
        RedisServer s = RedisServer.start(dir, extraArgs);
        extra.add(s);
        return s;
    }

    /** A TLS-only server with its own test CA ({@link RedisServer#caCertificate()}), stopped after the class. */
    public RedisServer startTls() {
        RedisServer s = RedisServer.startTls(dir);
        extra.add(s);
        return s;
    }

    /** A sentinel monitoring {@code master} as {@code masterName}, stopped after the class. */
    public RedisServer startSentinel(String masterName, RedisServer master) {
        RedisServer s = RedisServer.startSentinel(dir, masterName, master);
        extra.add(s);
        return s;
    }

    /** The temporary directory the processes run in. */
    public Path directory() {
        return dir;
    }

    static String cli(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-cli timed out: " + cmd);
            }
            String s = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("redis-cli failed (" + p.exitValue() + "): " + cmd + "\n" + s);
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
