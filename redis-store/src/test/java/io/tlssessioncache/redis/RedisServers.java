package io.tlssessioncache.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that starts real Redis nodes for a test class and kills them afterwards:
 * <pre>
 * {@literal @}RegisterExtension
 * static final RedisServers REDIS = RedisServers.standalone();   // or .cluster(), .standaloneAndCluster()
 * ... REDIS.standaloneServer().uri(), REDIS.clusterServers().uri()
 * </pre>
 * Nodes run from a fresh temporary directory on free loopback ports with persistence off, as local
 * processes or as containers ({@link RedisBackend} chooses once per JVM and says which in the test
 * output). When the backend cannot run Redis the class is skipped (an assumption), except when the
 * environment variable {@code CI} is set: then it fails with a clear message, because CI must run
 * these tests.
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

    /**
     * Skips (or, with {@code CI} set, fails) unless this JVM's {@link RedisBackend} can run Redis:
     * {@code redis-server} and {@code redis-cli} on the PATH, or a Docker engine.
     */
    public static void requireRedis() {
        RedisBackend.get().require();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        RedisBackend backend = RedisBackend.get();
        System.out.println("[redis-test] " + context.getDisplayName() + ": Redis in " + backend.name());
        context.publishReportEntry("redis-backend", backend.description());
        backend.require();
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

    /** {@code redis-cli -h 127.0.0.1 -p PORT ARGS...} (on the host, or inside a node's container): its output. */
    static String cli(int port, String... args) {
        return RedisBackend.get().cli(port, List.of(args));
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
