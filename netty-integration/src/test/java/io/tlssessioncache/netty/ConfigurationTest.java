package io.tlssessioncache.netty;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Builder options reach OpenSSL, and bad ones fail clearly. */
@Timeout(60)
class ConfigurationTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
    }

    @Test
    void ciphersGroupsAndProtocolsAreApplied() throws Exception {
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey)
                .sessionStore(new MapSessionStore())
                // IANA names for both; the TLS 1.2 one is translated to OpenSSL's name.
                .ciphers(List.of("TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"))
                .groups("P-256")
                .build();
             TestServer server = new TestServer(ctx)) {
            assertEquals(List.of("TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), ctx.cipherSuites());
            Processes.Result r13 = SClient.run(server.port(), dir, "-tls1_3");
            assertTrue(r13.output().contains("TLS_CHACHA20_POLY1305_SHA256"), r13.output());
            assertTrue(r13.output().contains("P-256") || r13.output().contains("prime256v1"), r13.output());
            Processes.Result r12 = SClient.run(server.port(), dir, "-tls1_2");
            assertTrue(r12.output().contains("ECDHE-ECDSA-AES256-GCM-SHA384"), r12.output());
            // A group we did not enable: no handshake.
            Processes.Result x = SClient.run(server.port(), dir, "-tls1_3", "-groups", "X25519");
            assertFalse(x.output().lines().anyMatch(l -> l.equals("bye")), x.output());
        }
    }

    @Test
    void tls13Only() throws Exception {
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey)
                .sessionStore(new MapSessionStore()).protocols("TLSv1.3").ticketsPerHandshake(1)
                .sessionTimeout(Duration.ofMinutes(5)).build();
             TestServer server = new TestServer(ctx)) {
            assertFalse(SClient.run(server.port(), dir, "-tls1_2").output().lines().anyMatch(l -> l.equals("bye")));
            assertTrue(SClient.run(server.port(), dir, "-tls1_3").output().lines().anyMatch(l -> l.equals("bye")));
            assertEquals(300, ctx.sessionTimeout());
        }
    }

    @Test
    void clearErrors() {
        var noStore = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey);
        assertThrows(IllegalStateException.class, noStore::build);
        var badCipher = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(new MapSessionStore())
                .protocols("TLSv1.2").ciphers(List.of("NO-SUCH-CIPHER"));
        var e = assertThrows(javax.net.ssl.SSLException.class, badCipher::build);
        assertTrue(e.getMessage().contains("cipher"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey)
                .protocols("TLSv1.1"));
        assertThrows(IllegalStateException.class, () -> ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey)
                .sessionStore(new MapSessionStore()).clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE).build());
    }

    @Test
    void missingOpenSslIsOneClearError() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Processes.Result r = Processes.run(List.of(java, "--enable-native-access=ALL-UNNAMED",
                        "-Dtlssessioncache.openssl.libcrypto=/nonexistent/libcrypto.so.3",
                        "-cp", System.getProperty("java.class.path"), LoadFailureMain.class.getName()),
                dir, "", Duration.ofSeconds(30));
        assertTrue(r.output().contains("available=false"), r.output());
        assertTrue(r.output().contains("needs OpenSSL 3") && r.output().contains("libssl3"), r.output());
    }
}
