package io.tlssessioncache.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.ClientAuth;
import io.tlssessioncache.core.SessionRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(90)
class AlpnAndClientAuthTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
    }

    private static ApplicationProtocolConfig alpn(SelectorFailureBehavior behaviour) {
        return new ApplicationProtocolConfig(Protocol.ALPN, behaviour, SelectedListenerFailureBehavior.ACCEPT,
                "h2", "http/1.1");
    }

    @Test
    void alpnPicksTheServersPreferenceAndNettyNegotiationHandlerSeesIt() throws Exception {
        MapSessionStore store = new MapSessionStore();
        CompletableFuture<String> seen = new CompletableFuture<>();
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(store)
                .applicationProtocolConfig(alpn(SelectorFailureBehavior.NO_ADVERTISE)).build();
             TestServer server = new TestServer(ctx, p -> p.addLast(new ApplicationProtocolNegotiationHandler("none") {
                 @Override
                 protected void configurePipeline(ChannelHandlerContext c, String protocol) {
                     seen.complete(protocol);
                 }
             }))) {
            Processes.Result r = SClient.run(server.port(), dir, "-tls1_3", "-alpn", "http/1.1,h2");
            assertTrue(r.output().contains("ALPN protocol: h2"), r.output());
            assertEquals("h2", seen.get(10, TimeUnit.SECONDS));

            Processes.Result http1 = SClient.run(server.port(), dir, "-tls1_2", "-alpn", "http/1.1");
            assertTrue(http1.output().contains("ALPN protocol: http/1.1"), http1.output());

            // No overlap with NO_ADVERTISE: the handshake proceeds without ALPN.
            Processes.Result none = SClient.run(server.port(), dir, "-tls1_3", "-alpn", "spdy/3");
            assertTrue(none.output().contains("No ALPN negotiated"), none.output());
            assertTrue(none.output().lines().anyMatch(l -> l.equals("bye")), none.output());

            // The JDK client sees it too.
            var sslContext = pki.jdkClient(pki.ecCert, false, "TLS");
            try (SSLSocket s = (SSLSocket) sslContext.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                SSLParameters params = s.getSSLParameters();
                params.setApplicationProtocols(new String[] {"http/1.1", "h2"});
                s.setSSLParameters(params);
                s.startHandshake();
                assertEquals("h2", s.getApplicationProtocol());
            }
        }
    }

    @Test
    void alpnFatalAlertWithoutOverlapFailsTheHandshake() throws Exception {
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey)
                .sessionStore(new MapSessionStore()).applicationProtocolConfig(alpn(SelectorFailureBehavior.FATAL_ALERT)).build();
             TestServer server = new TestServer(ctx)) {
            Processes.Result r = SClient.run(server.port(), dir, "-tls1_3", "-alpn", "spdy/3");
            assertTrue(r.output().contains("no application protocol"), r.output());
            assertFalse(r.output().lines().anyMatch(l -> l.equals("bye")), r.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void requiredClientCertificate(String protocol) throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(store)
                .clientAuth(ClientAuth.REQUIRE).trustCertificates(pki.caCert).build();
             TestServer server = new TestServer(ctx)) {
            // Without a certificate: refused (TLS 1.3 reports it on the first read).
            var anonymous = pki.jdkClient(pki.ecCert, false, "TLS");
            assertThrows(IOException.class, () -> {
                try (SSLSocket s = (SSLSocket) anonymous.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                    s.setEnabledProtocols(new String[] {protocol});
                    s.startHandshake();
                    s.getOutputStream().write("x\n".getBytes());
                    s.getOutputStream().flush();
                    if (s.getInputStream().read() < 0) {
                        throw new IOException("closed");
                    }
                }
            });
            assertTrue(server.handshaken.isEmpty());

            // With one: accepted, and the server sees it.
            var withCert = pki.jdkClient(pki.ecCert, true, "TLS");
            try (SSLSocket s = (SSLSocket) withCert.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                s.setEnabledProtocols(new String[] {protocol});
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write("ping\n".getBytes());
                out.flush();
                assertArrayEquals("ping\n".getBytes(), in.readNBytes(5));
            }
            OpenSslServerEngine engine = server.handshaken.poll();
            assertNotNull(engine);
            X509Certificate peer = (X509Certificate) engine.getSession().getPeerCertificates()[0];
            assertTrue(peer.getSubjectX500Principal().getName().contains("test client"));
            byte[] identity = MessageDigest.getInstance("SHA-256").digest(peer.getEncoded());
            assertFalse(store.map.isEmpty());
            for (SessionRecord rec : store.map.values()) {
                assertArrayEquals(identity, rec.clientIdentity());
            }

            // openssl s_client too: without a certificate no echo, with one the echo comes back.
            String v = protocol.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2";
            Processes.Result no = SClient.run(server.port(), dir, v);
            assertFalse(no.output().lines().anyMatch(l -> l.equals("bye")), no.output());
            Processes.Result yes = SClient.run(server.port(), dir, v, "-cert", pki.clientCert.toString(),
                    "-key", pki.clientKey.toString());
            assertTrue(yes.output().lines().anyMatch(l -> l.equals("bye")), yes.output());
        }
    }

    @Test
    void optionalClientAuthAcceptsBoth() throws Exception {
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.rsaCert, pki.rsaKey)
                .sessionStore(new MapSessionStore()).clientAuth(ClientAuth.OPTIONAL).trustCertificates(pki.caCert).build();
             TestServer server = new TestServer(ctx)) {
            assertTrue(SClient.run(server.port(), dir, "-tls1_3").output().lines().anyMatch(l -> l.equals("bye")));
            assertTrue(SClient.run(server.port(), dir, "-tls1_3", "-cert", pki.clientCert.toString(),
                    "-key", pki.clientKey.toString()).output().lines().anyMatch(l -> l.equals("bye")));
        }
    }

    @Test
    void badKeyIsAClearError() throws Exception {
        var e = assertThrows(javax.net.ssl.SSLException.class, () -> ResumingSslContextBuilder
                .forServer(Files.readString(pki.ecCert), Files.readString(pki.rsaKey))
                .sessionStore(new MapSessionStore()).build());
        assertTrue(e.getMessage().contains("private key"), e.getMessage());
    }
}
