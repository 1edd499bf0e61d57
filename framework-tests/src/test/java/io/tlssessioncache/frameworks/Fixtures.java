package io.tlssessioncache.frameworks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.MicrometerSessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.OpenSslCli;
import io.tlssessioncache.netty.Processes;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.netty.ResumingSslContextBuilder;
import io.tlssessioncache.redis.RedisServers;
import io.tlssessioncache.redis.RedisSessionStores;
import io.tlssessioncache.redis.RedisStoreOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every framework test needs: two contexts over one shared store ({@link Fleet}), and {@code openssl s_client}. */
final class Fixtures {
    private Fixtures() {
    }

    static final ApplicationProtocolConfig H2_AND_HTTP11 = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN, ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1");

    /**
     * Servers A and B of a fleet: two contexts with one certificate ({cert, key}) over one Redis store,
     * both reporting to one registry. Closing closes the contexts, then the store.
     */
    record Fleet(Path[] cert, SimpleMeterRegistry registry, SessionStore store, ResumingSslContext a,
                 ResumingSslContext b) implements AutoCloseable {
        /** The sum of the counters {@code tls.session.cache.NAME} both contexts and the store reported. */
        double count(String name) {
            return registry.find("tls.session.cache." + name).counters().stream().mapToDouble(Counter::count).sum();
        }

        @Override
        public void close() {
            try {
                try {
                    b.close();
                } finally {
                    a.close();
                }
            } finally {
                store.close();
            }
        }
    }

    /** A {@link Fleet} with a self-signed P-256 certificate for localhost, made in {@code dir}. */
    static Fleet fleet(Path dir, RedisServers redis, ApplicationProtocolConfig alpn) throws Exception {
        Path[] cert = OpenSslCli.selfSigned(dir, "localhost");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SessionStore store = redisStore(redis, registry);
        ResumingSslContext a = null;
        try {
            a = context(cert, store, registry, alpn);
            return new Fleet(cert, registry, store, a, context(cert, store, registry, alpn));
        } catch (Exception | Error e) {
            try (store) {
                if (a != null) {
                    a.close();
                }
            }
            throw e;
        }
    }

    /**
     * A Redis store (a real redis-server, started by the test class) shared by every server of a
     * test, as a fleet shares one: every take, and every get on a node that did not make the
     * session, is answered later from Lettuce's thread, so the engine's delegated task really waits.
     */
    private static SessionStore redisStore(RedisServers redis, SimpleMeterRegistry registry) {
        return RedisSessionStores.create(redis.standaloneServer().uri(), RedisStoreOptions.builder()
                .keyRing(RING).metrics(MicrometerSessionCacheMetrics.create(registry))
                .lookupDeadline(Duration.ofSeconds(2)).build());
    }

    private static final SealingKeyRing RING = SealingKeyRing.generate();

    private static ResumingSslContext context(Path[] cert, SessionStore store, SimpleMeterRegistry registry,
                                      ApplicationProtocolConfig alpn) throws Exception {
        return ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store).contextName("frameworks")
                .applicationProtocolConfig(alpn).metrics(MicrometerSessionCacheMetrics.create(registry)).build();
    }

    /**
     * For TLS 1.3 and TLS 1.2: s_client makes a new session on server A, resumes it on A, then on B
     * (which shares A's store). Each run writes {@code request} and must see {@code expected} in its
     * output; {@code extra} are more s_client arguments (e.g. {@code -alpn h2}).
     */
    static void assertResumesOnBothServers(Path dir, int portA, int portB, String request, String expected,
                                           String... extra) throws Exception {
        for (String version : List.of("-tls1_3", "-tls1_2")) {
            String sess = dir.resolve("session" + version).toString();
            String first = sClient(portA, request, version, extra, "-sess_out", sess);
            assertEquals("New", resumption(first), first);
            assertTrue(first.contains(expected), first);
            String same = sClient(portA, request, version, extra, "-sess_in", sess, "-sess_out", sess);
            assertEquals("Reused", resumption(same), version + " on the same server:\n" + same);
            assertTrue(same.contains(expected), same);
            String other = sClient(portB, request, version, extra, "-sess_in", sess);
            assertEquals("Reused", resumption(other), version + " on the other server:\n" + other);
            assertTrue(other.contains(expected), other);
        }
    }

    /** One {@code openssl s_client} run: writes {@code stdin}, reads until the server closes (or 20 s). */
    private static String sClient(int port, String stdin, String version, String[] extra, String... session)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-ign_eof", version));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of(session));
        return Processes.run(cmd, null, stdin, Duration.ofSeconds(20)).output();
    }

    /** "Reused" or "New" from s_client's output ("Reused, TLSv1.3, ..."), else null. */
    private static String resumption(String output) {
        return new OpenSslCli.Client(output).resumption();
    }
}
