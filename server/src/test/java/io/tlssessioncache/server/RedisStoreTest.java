package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.redis.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code serve --store redis://…}: two separate server nodes (each its own store client, TLS
 * contexts, event loops) sharing a real redis-server and one sealing key file resume each
 * other's sessions; a node with another sealing key cannot open them; Redis down means full
 * handshakes, not failed connections.
 */
@Timeout(120)
class RedisStoreTest {

    @TempDir
    static Path shared;

    private static RedisServer redis;
    private static GeneratedCertificate certificate;
    private static Path keys;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start(shared);
        certificate = GeneratedCertificate.create();
        keys = keyFile(shared.resolve("sealing-keys"));
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
        if (certificate != null) {
            certificate.close();
        }
    }

    /** A fresh one-key ring, readable by its owner only (as the store insists). */
    private static Path keyFile(Path file) throws java.io.IOException {
        Files.writeString(file, SealingKeyRing.newKeyLine(1) + "\n");
        return Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    private static ServerNode node(Path sealingKeys) throws Exception {
        // A generous lookup deadline: on a loaded 2-core CI machine Redis may take longer than the
        // default 50 ms, which would (correctly) mean a full handshake; the deadline itself is
        // tested in redis-store and netty-integration.
        return TestServers.start("serve", "--listen", "127.0.0.1:0", "--store", redis.uri(),
                "--sealing-key-file", sealingKeys.toString(), "--key-prefix", "server-test", "--lookup-deadline", "2s",
                "--miss-retry-delay", "10ms",
                "--cert", certificate.certificate().toString(), "--key", certificate.privateKey().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void twoNodesShareSessionsThroughRedis(String protocol) throws Exception {
        Path session = dir.resolve("session.pem");
        try (ServerNode one = node(keys); ServerNode two = node(keys)) {
            redis.cli("FLUSHALL");
            Clients.SClientResult first = Clients.sClient(one.addresses().getFirst(), protocol, session, null);
            assertTrue(first.isNew(), first::toString);
            // Stores are asynchronous: wait until node one's put (its one ticket, or its TLS 1.2 session) reached Redis.
            awaitStoredSessions(1);
            Clients.SClientResult second = Clients.sClient(two.addresses().getFirst(), protocol, null, session);
            assertTrue(second.reused(), second::toString);
            assertTrue(second.body().startsWith("resumed: yes\n"), second::toString);
            Clients.SClientResult third = Clients.sClient(one.addresses().getFirst(), protocol, null, session);
            // TLS 1.3 tickets are single-use fleet-wide (GETDEL); TLS 1.2 sessions are reusable.
            assertEquals(protocol.equals("-tls1_2"), third.reused(), third::toString);
        }
    }

    private static void awaitStoredSessions(int count) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (redis.cli("KEYS", "server-test:*").lines().filter(l -> !l.isBlank()).count() < count) {
            assertTrue(System.nanoTime() < deadline, "sessions did not reach Redis within 10 s");
            Thread.sleep(20);
        }
    }

    @Test
    void aNodeWithAnotherSealingKeyCannotOpenTheSessions() throws Exception {
        Path otherKeys = keyFile(dir.resolve("other-keys"));
        Path session = dir.resolve("session.pem");
        try (ServerNode one = node(keys); ServerNode stranger = node(otherKeys)) {
            redis.cli("FLUSHALL");
            assertTrue(Clients.sClient(one.addresses().getFirst(), "-tls1_2", session, null).isNew());
            awaitStoredSessions(1); // else "New" below would prove nothing
            Clients.SClientResult offered = Clients.sClient(stranger.addresses().getFirst(), "-tls1_2", null, session);
            assertTrue(offered.isNew(), offered::toString);
            assertTrue(offered.body().startsWith("resumed: no\n"), offered::toString);
        }
    }

    @Test
    void redisDownMeansFullHandshakesNotFailedConnections() throws Exception {
        Path session = dir.resolve("session.pem");
        try (ServerNode one = node(keys)) {
            assertTrue(Clients.sClient(one.addresses().getFirst(), "-tls1_2", session, null).isNew());
            redis.stop();
            try {
                for (int i = 0; i < 3; i++) {
                    Clients.SClientResult down = Clients.sClient(one.addresses().getFirst(), "-tls1_2", null, session);
                    assertTrue(down.body().startsWith("resumed: "), down::toString);
                }
            } finally {
                redis.restart();
            }
        }
    }
}
