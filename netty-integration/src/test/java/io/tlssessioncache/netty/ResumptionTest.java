package io.tlssessioncache.netty;

import io.netty.handler.ssl.ClientAuth;
import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resumption across two independent contexts sharing one store, without the ClientHello hook:
 * the test server offers every stored record to each engine.
 */
@Timeout(90)
class ResumptionTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    MapSessionStore store;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
    }

    @BeforeEach
    void freshStore() {
        store = new MapSessionStore();
    }

    private ResumingSslContext context(UnaryOperator<ResumingSslContextBuilder> f) throws Exception {
        return f.apply(ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(store).contextName("fleet")).build();
    }

    private boolean resumesOnB(String version, UnaryOperator<ResumingSslContextBuilder> bConfig, TlsProtocol expected)
            throws Exception {
        Path sess = Files.createTempFile(dir, "sess", ".pem");
        try (ResumingSslContext a = context(f -> f); ResumingSslContext b = context(bConfig);
             TestServer serverA = new TestServer(a); TestServer serverB = new TestServer(b)) {
            Processes.Result first = SClient.run(serverA.port(), dir, version, "-sess_out", sess.toString());
            assertTrue(SClient.isNew(first), first.output());
            assertFalse(store.map.isEmpty(), "A stored its sessions");
            for (SessionRecord r : store.map.values()) {
                assertEquals(expected, r.protocol());
                assertEquals(a.namespace(), r.namespace());
                assertEquals("localhost", r.serverName());
                assertTrue(r.expiresAt().isAfter(r.createdAt()));
            }
            Processes.Result second = SClient.run(serverB.port(), dir, version, "-sess_in", sess.toString());
            assertTrue(second.output().lines().anyMatch(l -> l.equals("bye")), second.output());
            boolean reused = SClient.reused(second);
            assertEquals(!reused, SClient.isNew(second), second.output());
            // The server's view agrees with the client's.
            OpenSslServerEngine engineB = serverB.handshaken.peek();
            assertEquals(reused, engineB != null && engineB.isSessionReused(), second.output());
            return reused;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void resumesOnAnotherServerThroughTheStore(String version) throws Exception {
        TlsProtocol expected = version.equals("-tls1_3") ? TlsProtocol.TLS_1_3 : TlsProtocol.TLS_1_2;
        assertTrue(resumesOnB(version, f -> f, expected));
        // TLS 1.3: the ticket of the full handshake was taken (single use), the resumption stored
        // a new one. TLS 1.2: the session stays (reusable) and was read, not taken.
        assertEquals(1, store.map.size());
        if (expected == TlsProtocol.TLS_1_3) {
            assertEquals(1, store.takes.size());
            assertTrue(store.gets.isEmpty());
        } else {
            assertEquals(1, store.gets.size());
            assertTrue(store.takes.isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void anotherContextNameDoesNotResume(String version) throws Exception {
        TlsProtocol expected = version.equals("-tls1_3") ? TlsProtocol.TLS_1_3 : TlsProtocol.TLS_1_2;
        assertFalse(resumesOnB(version, f -> f.contextName("other"), expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void anotherClientAuthPolicyDoesNotResume(String version) throws Exception {
        TlsProtocol expected = version.equals("-tls1_3") ? TlsProtocol.TLS_1_3 : TlsProtocol.TLS_1_2;
        assertFalse(resumesOnB(version, f -> f.clientAuth(ClientAuth.OPTIONAL).trustCertificates(pki.caCert), expected));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aFailingStoreNeverFailsTheConnection(boolean throwsAtOnce) throws Exception {
        io.tlssessioncache.core.SessionStore broken = new io.tlssessioncache.core.SessionStore() {
            @Override
            public java.util.concurrent.CompletionStage<Void> put(SessionRecord record) {
                if (throwsAtOnce) {
                    throw new IllegalStateException("store down");
                }
                return java.util.concurrent.CompletableFuture.failedFuture(new java.io.IOException("store down"));
            }

            @Override
            public java.util.concurrent.CompletionStage<java.util.Optional<SessionRecord>> get(io.tlssessioncache.core.SessionKey key) {
                return java.util.concurrent.CompletableFuture.failedFuture(new java.io.IOException("store down"));
            }

            @Override
            public java.util.concurrent.CompletionStage<java.util.Optional<SessionRecord>> take(io.tlssessioncache.core.SessionKey key) {
                return get(key);
            }

            @Override
            public java.util.concurrent.CompletionStage<Boolean> remove(io.tlssessioncache.core.SessionKey key) {
                return java.util.concurrent.CompletableFuture.failedFuture(new java.io.IOException("store down"));
            }
        };
        try (ResumingSslContext ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(broken).build();
             TestServer server = new TestServer(ctx)) {
            for (String v : new String[] {"-tls1_3", "-tls1_2"}) {
                Processes.Result r = SClient.run(server.port(), dir, v);
                assertTrue(r.output().lines().anyMatch(l -> l.equals("bye")), r.output());
            }
        }
    }

    @Test
    void namespacesDifferByConfiguration() throws Exception {
        try (ResumingSslContext a = context(f -> f); ResumingSslContext same = context(f -> f);
             ResumingSslContext other = context(f -> f.contextName("x"))) {
            assertEquals(a.namespace(), same.namespace());
            assertNotEquals(a.namespace(), other.namespace());
        }
    }

    @Test
    void corruptStateFallsBackToAFullHandshake() throws Exception {
        Path sess = Files.createTempFile(dir, "sess", ".pem");
        try (ResumingSslContext a = context(f -> f); TestServer serverA = new TestServer(a)) {
            assertTrue(SClient.isNew(SClient.run(serverA.port(), dir, "-tls1_3", "-sess_out", sess.toString())));
        }
        // Flip bytes in every stored state: d2i fails (or the session is unusable) → full handshake, no error.
        store.map.replaceAll((k, r) -> {
            byte[] s = r.state();
            for (int i = 4; i < s.length; i += 3) {
                s[i] ^= 0x5a;
            }
            return new SessionRecord(r.key(), r.serverName(), r.clientIdentity(), r.createdAt(), r.expiresAt(), s);
        });
        CountingMetrics metrics = new CountingMetrics();
        try (ResumingSslContext b = context(f -> f.metrics(metrics)); TestServer serverB = new TestServer(b)) {
            Processes.Result r = SClient.run(serverB.port(), dir, "-tls1_3", "-sess_in", sess.toString());
            assertTrue(SClient.isNew(r), r.output());
            assertTrue(r.output().lines().anyMatch(l -> l.equals("bye")), r.output());
        }
        assertEquals(1, metrics.count("rejected:malformed"), metrics.snapshot().toString());
    }

    @Test
    void expiredRecordIsNotResumed() throws Exception {
        Path sess = Files.createTempFile(dir, "sess", ".pem");
        try (ResumingSslContext a = context(f -> f); TestServer serverA = new TestServer(a)) {
            assertTrue(SClient.isNew(SClient.run(serverA.port(), dir, "-tls1_2", "-sess_out", sess.toString())));
        }
        java.time.Instant later = store.map.values().iterator().next().expiresAt().plusSeconds(1);
        CountingMetrics metrics = new CountingMetrics();
        try (ResumingSslContext b = context(f -> f.metrics(metrics).clock(java.time.Clock.fixed(later, java.time.ZoneOffset.UTC)));
             TestServer serverB = new TestServer(b)) {
            assertTrue(SClient.isNew(SClient.run(serverB.port(), dir, "-tls1_2", "-sess_in", sess.toString())));
        }
        assertEquals(1, metrics.count("rejected:expired"));
    }
}
