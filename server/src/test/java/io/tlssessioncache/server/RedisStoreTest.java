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
        keys = Files.writeString(shared.resolve("sealing-keys"), SealingKeyRing.newKeyLine(1) + "\n");
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

    private static ServerNode node(Path sealingKeys) throws Exception {
        return TestServers.start("serve", "--listen", "127.0.0.1:0", "--store", redis.uri(),
                "--sealing-key-file", sealingKeys.toString(), "--key-prefix", "server-test",
                "--cert", certificate.certificate().toString(), "--key", certificate.privateKey().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void twoNodesShareSessionsThroughRedis(String protocol) throws Exception {
        Path session = dir.resolve("session.pem");
        try (ServerNode one = node(keys); ServerNode two = node(keys)) {
            Clients.SClientResult first = Clients.sClient(one.addresses().getFirst(), protocol, session, null);
            assertTrue(first.isNew(), first::toString);
            Clients.SClientResult second = Clients.sClient(two.addresses().getFirst(), protocol, null, session);
            assertTrue(second.reused(), second::toString);
            assertTrue(second.body().startsWith("resumed: yes\n"), second::toString);
            Clients.SClientResult third = Clients.sClient(one.addresses().getFirst(), protocol, null, session);
            // TLS 1.3 tickets are single-use fleet-wide (GETDEL); TLS 1.2 sessions are reusable.
            assertEquals(protocol.equals("-tls1_2"), third.reused(), third::toString);
        }
    }

    @Test
    void aNodeWithAnotherSealingKeyCannotOpenTheSessions() throws Exception {
        Path otherKeys = Files.writeString(dir.resolve("other-keys"), SealingKeyRing.newKeyLine(1) + "\n");
        Path session = dir.resolve("session.pem");
        try (ServerNode one = node(keys); ServerNode stranger = node(otherKeys)) {
            assertTrue(Clients.sClient(one.addresses().getFirst(), "-tls1_2", session, null).isNew());
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
