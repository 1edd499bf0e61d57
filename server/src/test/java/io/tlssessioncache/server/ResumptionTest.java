package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
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
 * Resumption across listeners with {@code openssl s_client}: a session made on listener A resumes
 * on listener B (two independent TLS contexts, one store), a TLS 1.3 ticket resumes once only,
 * and a session from a server with another certificate resumes nowhere.
 */
@Timeout(120)
class ResumptionTest {

    private static ServerNode server;
    private static InetSocketAddress a;
    private static InetSocketAddress b;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start("serve", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0");
        a = server.addresses().get(0);
        b = server.addresses().get(1);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void sessionFromAResumesOnB(String protocol) {
        Path session = dir.resolve("session.pem");
        Clients.SClientResult first = Clients.sClient(a, protocol, session, null);
        assertTrue(first.isNew(), first::toString);
        assertTrue(first.body().startsWith("resumed: no\n"), first::toString);
        assertTrue(Files.exists(session), "s_client wrote no session");

        Clients.SClientResult second = Clients.sClient(b, protocol, null, session);
        assertTrue(second.reused(), second::toString);
        assertEquals(protocol.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2", second.protocol());
        assertTrue(second.body().startsWith("resumed: yes\n"), second::toString);
        assertTrue(second.body().contains("node: " + HostPort.format(b) + "\n"), second::toString);
    }

    @Test
    void aTls13TicketResumesOnceOnly() {
        Path session = dir.resolve("ticket.pem");
        assertTrue(Clients.sClient(a, "-tls1_3", session, null).isNew());

        Clients.SClientResult once = Clients.sClient(b, "-tls1_3", null, session);
        assertTrue(once.reused(), once::toString);

        // The same ticket again, on either listener: it was taken from the store.
        Clients.SClientResult again = Clients.sClient(a, "-tls1_3", null, session);
        assertTrue(again.isNew(), again::toString);
        assertTrue(again.body().startsWith("resumed: no\n"), again::toString);
        Clients.SClientResult third = Clients.sClient(b, "-tls1_3", null, session);
        assertFalse(third.reused(), third::toString);
    }

    @Test
    void aTls12SessionResumesRepeatedly() {
        Path session = dir.resolve("tls12.pem");
        assertTrue(Clients.sClient(a, "-tls1_2", session, null).isNew());
        assertTrue(Clients.sClient(b, "-tls1_2", null, session).reused());
        assertTrue(Clients.sClient(a, "-tls1_2", null, session).reused());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void aSessionFromAnotherServerResumesNowhere(String protocol) throws Exception {
        Path session = dir.resolve("foreign.pem");
        // Another server instance with its own (generated) certificate and its own store.
        try (ServerNode other = TestServers.start("serve", "--listen", "127.0.0.1:0")) {
            assertTrue(Clients.sClient(other.addresses().getFirst(), protocol, session, null).isNew());
        }
        Clients.SClientResult foreign = Clients.sClient(a, protocol, null, session);
        assertTrue(foreign.isNew(), foreign::toString);
        assertTrue(foreign.body().startsWith("resumed: no\n"), foreign::toString);
    }
}
