package io.tlssessioncache.frameworks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.MicrometerSessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.netty.ResumingSslContextBuilder;
import io.tlssessioncache.redis.RedisServers;
import io.tlssessioncache.redis.RedisSessionStores;
import io.tlssessioncache.redis.RedisStoreOptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What every framework test needs: a certificate, contexts over one shared store, and {@code openssl s_client}. */
final class Fixtures {
    private Fixtures() {
    }

    static final ApplicationProtocolConfig H2_AND_HTTP11 = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN, ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1");

    /** A self-signed P-256 certificate for localhost: {cert.pem, key.pem}. */
    static Path[] certificate(Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2",
                "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl req failed");
        }
        return new Path[] {cert, key};
    }

    /**
     * A Redis store (a real redis-server, started by the test class) shared by every server of a
     * test, as a fleet shares one: every take, and every get on a node that did not make the
     * session, is answered later from Lettuce's thread, so the engine's delegated task really waits.
     */
    static SessionStore redisStore(RedisServers redis, SimpleMeterRegistry registry) {
        return RedisSessionStores.create(redis.standaloneServer().uri(), RedisStoreOptions.builder()
                .keyRing(RING).metrics(MicrometerSessionCacheMetrics.create(registry))
                .lookupDeadline(Duration.ofSeconds(2)).build());
    }

    private static final SealingKeyRing RING = SealingKeyRing.generate();

    static ResumingSslContext context(Path[] cert, SessionStore store, SimpleMeterRegistry registry,
                                      ApplicationProtocolConfig alpn) throws Exception {
        return ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store).contextName("frameworks")
                .applicationProtocolConfig(alpn).metrics(MicrometerSessionCacheMetrics.create(registry)).build();
    }

    static double count(SimpleMeterRegistry registry, String name) {
        return registry.find("tls.session.cache." + name).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** One {@code openssl s_client} run: writes {@code stdin}, reads until the server closes (or 20 s). */
    static String sClient(int port, String stdin, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-ign_eof"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // ended
                }
            });
            try (OutputStream os = p.getOutputStream()) {
                os.write(stdin.getBytes(StandardCharsets.US_ASCII));
            } catch (IOException ignored) {
                // exited already
            }
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(5_000);
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
    }

    /** "Reused" or "New" from s_client's output ("Reused, TLSv1.3, ..."), else the whole output. */
    static String resumption(String output) {
        for (String line : output.split("\n")) {
            if (line.startsWith("Reused, ")) {
                return "Reused";
            }
            if (line.startsWith("New, ")) {
                return "New";
            }
        }
        return output;
    }
}
