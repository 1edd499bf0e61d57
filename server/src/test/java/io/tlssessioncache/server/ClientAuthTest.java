package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tlssessioncache.netty.OpenSslCli;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --client-auth require --trust FILE}: no certificate, no page; with one, resumption works. */
@Timeout(60)
class ClientAuthTest {

    @TempDir
    Path dir;

    @Test
    void requireRefusesClientsWithoutACertificateAndResumesThoseWithOne() throws Exception {
        Path[] client = OpenSslCli.selfSigned(dir, "test-client");
        Path clientCert = client[0];
        Path clientKey = client[1];

        try (ServerNode server = TestServers.start("serve", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0",
                "--client-auth", "require", "--trust", clientCert.toString())) {
            var a = server.addresses().get(0);
            var b = server.addresses().get(1);
            Clients.SClientResult anonymous = Clients.sClient(a, "-tls1_3", null, null);
            assertFalse(anonymous.body().contains("resumed:"), anonymous::toString);

            List<String> withCert = List.of("-cert", clientCert.toString(), "-key", clientKey.toString());
            Path session = dir.resolve("session.pem");
            Clients.SClientResult first = Clients.sClient(a, "-tls1_3", session, null, withCert);
            assertTrue(first.body().startsWith("resumed: no\n"), first::toString);
            Clients.SClientResult second = Clients.sClient(b, "-tls1_3", null, session, withCert);
            assertTrue(second.reused(), second::toString);
            assertTrue(second.body().startsWith("resumed: yes\n"), second::toString);
        }
    }
}
