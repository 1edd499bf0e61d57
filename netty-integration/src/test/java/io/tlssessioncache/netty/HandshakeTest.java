package io.tlssessioncache.netty;

import io.tlssessioncache.netty.internal.OpenSsl;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class HandshakeTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static MapSessionStore store = new MapSessionStore();
    static ResumingSslContext ecCtx;
    static ResumingSslContext rsaCtx;
    static TestServer ec;
    static TestServer rsa;

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir);
        ecCtx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(store).build();
        rsaCtx = ResumingSslContextBuilder.forServer(pki.rsaCert, pki.rsaKey).sessionStore(store).build();
        ec = new TestServer(ecCtx);
        rsa = new TestServer(rsaCtx);
    }

    @AfterAll
    static void stop() throws Exception {
        ec.close();
        rsa.close();
        ecCtx.close();
        rsaCtx.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void opensslClientHandshakesAndEchoes(String version) throws Exception {
        for (TestServer server : new TestServer[] {ec, rsa}) {
            server.handshaken.clear();
            Processes.Result r = SClient.run(server.port(), dir, version);
            assertTrue(SClient.isNew(r), r.output());
            assertTrue(r.output().contains("Verify return code") , r.output());
            String proto = version.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2";
            assertTrue(r.output().contains("Protocol  : " + proto) || r.output().contains(", " + proto + ","), r.output());
            assertTrue(r.output().lines().anyMatch(l -> l.equals("bye")), "echo expected:\n" + r.output());
            OpenSslServerEngine engine = server.handshaken.poll();
            var session = (javax.net.ssl.ExtendedSSLSession) engine.getSession();
            assertEquals(java.util.List.of(new javax.net.ssl.SNIHostName("localhost")), session.getRequestedServerNames());
            assertEquals(proto, session.getProtocol());
            assertTrue(session.getCipherSuite().startsWith("TLS_"), session.getCipherSuite());
            assertEquals(32, session.getId().length);
            assertFalse(engine.isSessionReused());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void jdkClientHandshakesAndEchoes(String protocol) throws Exception {
        var sslContext = pki.jdkClient(pki.ecCert, false, "TLS");
        try (SSLSocket s = (SSLSocket) sslContext.getSocketFactory().createSocket("127.0.0.1", ec.port())) {
            s.setEnabledProtocols(new String[] {protocol});
            s.startHandshake();
            assertEquals(protocol, s.getSession().getProtocol());
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] msg = "hello over openssl\n".getBytes(StandardCharsets.US_ASCII);
            out.write(msg);
            out.flush();
            assertArrayEquals(msg, in.readNBytes(msg.length));
        }
    }

    @Test
    void opensslVersionIsThree() {
        assertTrue(OpenSsl.versionNumber() >= 0x3000_0000L);
        assertTrue(OpenSsl.versionText().startsWith("OpenSSL 3"), OpenSsl.versionText());
        assertFalse(ecCtx.cipherSuites().isEmpty());
        assertEquals(32, ecCtx.namespace().length());
    }
}
