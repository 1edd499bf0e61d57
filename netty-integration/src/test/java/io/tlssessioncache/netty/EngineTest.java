package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.netty.internal.NativeHeap;
import io.tlssessioncache.netty.internal.OpenSsl;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine driven directly (JDK client engine back to back), and through Netty for odd clients. */
@Timeout(120)
class EngineTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static ResumingSslContext ctx;
    static SSLContext jdk;

    /** Discards everything: keeps the heap flat in the soak test. */
    static final SessionStore DISCARD = new SessionStore() {
        @Override
        public CompletionStage<Void> put(SessionRecord record) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public CompletionStage<Boolean> remove(SessionKey key) {
            return CompletableFuture.completedFuture(false);
        }
    };

    @BeforeAll
    static void setUp() throws Exception {
        pki = TestPki.create(dir);
        ctx = ResumingSslContextBuilder.forServer(pki.ecCert, pki.ecKey).sessionStore(DISCARD).build();
        jdk = pki.jdkClient(pki.ecCert, false, "TLS");
    }

    @AfterAll
    static void tearDown() {
        ctx.close();
    }

    @ParameterizedTest
    @CsvSource({"TLSv1.3,false", "TLSv1.2,false", "TLSv1.3,true", "TLSv1.2,true"})
    void payloadsBothDirections(String protocol, boolean direct) throws Exception {
        Random random = new Random(42);
        for (int size : new int[] {0, 1, 16 * 1024 + 1, 10 * 1024 * 1024}) {
            EnginePair p = new EnginePair(direct, jdk, ctx, protocol);
            p.handshake();
            assertEquals(protocol, p.server.getSession().getProtocol());
            byte[] data = new byte[size];
            random.nextBytes(data);

            p.clientSends(ByteBuffer.wrap(data));
            p.collectServerApp();
            assertArrayEquals(data, p.received.toByteArray(), "client→server " + size);

            p.received.reset();
            ByteBuffer src = direct ? ByteBuffer.allocateDirect(size).put(data).flip() : ByteBuffer.wrap(data);
            p.serverSends(src);
            p.collectClientApp();
            assertArrayEquals(data, p.received.toByteArray(), "server→client " + size);
            p.server.freeNative();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeNotifyFromTheClient(String protocol) throws Exception {
        long live = OpenSsl.liveSslCount();
        EnginePair p = new EnginePair(jdk, ctx, protocol);
        assertEquals(live + 1, OpenSsl.liveSslCount());
        p.handshake();
        p.client.closeOutbound();
        p.pump(); // client close_notify → server answers with its own
        p.pump();
        assertTrue(p.serverSawClosed);
        assertTrue(p.server.isInboundDone());
        assertTrue(p.server.isOutboundDone());
        assertTrue(p.client.isInboundDone(), "the client received the server's close_notify");
        assertEquals(live, OpenSsl.liveSslCount(), "freed once both directions closed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeNotifyFromTheServer(String protocol) throws Exception {
        long live = OpenSsl.liveSslCount();
        EnginePair p = new EnginePair(jdk, ctx, protocol);
        p.handshake();
        p.server.closeOutbound();
        assertFalse(p.server.isOutboundDone(), "close_notify not yet sent");
        assertEquals(HandshakeStatus.NEED_WRAP, p.server.getHandshakeStatus());
        SSLEngineResult r = p.server.wrap(ByteBuffer.allocate(0), p.s2c);
        assertEquals(Status.CLOSED, r.getStatus());
        assertTrue(r.bytesProduced() > 0);
        assertTrue(p.server.isOutboundDone());
        p.pump();
        assertTrue(p.clientSawClosed);
        assertTrue(p.client.isInboundDone());
        p.client.closeOutbound(); // TLS 1.3 is half-close: the JDK client answers only when told to
        p.pump();
        assertTrue(p.server.isInboundDone());
        assertEquals(live, OpenSsl.liveSslCount());
    }

    @Test
    void bufferOverflowAndUnderflow() throws Exception {
        EnginePair p = new EnginePair(jdk, ctx, "TLSv1.3");
        try {
            overflowAndUnderflow(p);
        } finally {
            p.server.freeNative();
        }
    }

    private static void overflowAndUnderflow(EnginePair p) throws Exception {
        p.handshake();
        ByteBuffer big = ByteBuffer.wrap(new byte[16 * 1024]);
        SSLEngineResult small = p.server.wrap(big, ByteBuffer.allocate(100));
        assertEquals(Status.BUFFER_OVERFLOW, small.getStatus());
        assertEquals(0, small.bytesConsumed());
        ByteBuffer net = ByteBuffer.allocate(p.server.getSession().getPacketBufferSize());
        SSLEngineResult ok = p.server.wrap(big, net);
        assertEquals(Status.OK, ok.getStatus());
        assertEquals(16 * 1024, ok.bytesConsumed());

        // The client sends a full record; the server's small buffer overflows, a partial record underflows.
        ByteBuffer record = ByteBuffer.allocate(p.client.getSession().getPacketBufferSize());
        int sent = p.client.wrap(ByteBuffer.wrap(new byte[16 * 1024]), record).bytesConsumed();
        assertTrue(sent > 1000);
        record.flip();
        SSLEngineResult over = p.server.unwrap(record, ByteBuffer.allocate(1000));
        assertEquals(Status.BUFFER_OVERFLOW, over.getStatus());
        assertEquals(0, over.bytesConsumed());
        ByteBuffer half = record.duplicate().limit(record.limit() / 2);
        assertEquals(Status.BUFFER_UNDERFLOW, p.server.unwrap(half, ByteBuffer.allocate(1 << 15)).getStatus());
        ByteBuffer app = ByteBuffer.allocate(1 << 15);
        SSLEngineResult in = p.server.unwrap(record, app);
        assertEquals(Status.OK, in.getStatus());
        assertEquals(sent, in.bytesProduced());
        assertFalse(record.hasRemaining());
        p.server.freeNative();
    }

    @Test
    void garbageIsAHandshakeFailureWithAnAlertAndNoLeak() throws Exception {
        long live = OpenSsl.liveSslCount();
        OpenSslServerEngine e = ctx.newOpenSslEngine(null, -1);
        ByteBuffer junk = ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
        try {
            e.unwrap(junk, ByteBuffer.allocate(1 << 15));
            throw new AssertionError("expected an SSLException");
        } catch (javax.net.ssl.SSLException expected) {
            assertFalse(expected.getMessage().isEmpty());
        }
        assertTrue(e.isInboundDone());
        assertEquals(live, OpenSsl.liveSslCount(), "freed after the failure");
        // The alert can still be sent.
        ByteBuffer out = ByteBuffer.allocate(1024);
        e.wrap(ByteBuffer.allocate(0), out);
        assertTrue(e.isOutboundDone());
    }

    @Test
    void clientDisconnectingMidHandshakeLeaksNothing() throws Exception {
        long live = OpenSsl.liveSslCount();
        try (TestServer server = new TestServer(ctx)) {
            // Half a ClientHello, then gone.
            byte[] hello = clientHelloBytes();
            for (int i = 0; i < 20; i++) {
                try (Socket s = new Socket("127.0.0.1", server.port())) {
                    OutputStream out = s.getOutputStream();
                    out.write(Arrays.copyOf(hello, hello.length / 2));
                    out.flush();
                }
            }
            // And one that disconnects right after the ClientHello, before our flight arrives.
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.getOutputStream().write(hello);
            }
            for (int i = 0; i < 100 && OpenSsl.liveSslCount() != live; i++) {
                Thread.sleep(50);
            }
            assertEquals(live, OpenSsl.liveSslCount());
            // The server still works.
            Processes.Result r = SClient.run(server.port(), dir, "-tls1_3");
            assertTrue(r.output().lines().anyMatch(l -> l.equals("bye")), r.output());
        }
        for (int i = 0; i < 100 && OpenSsl.liveSslCount() != live; i++) {
            Thread.sleep(50);
        }
        assertEquals(live, OpenSsl.liveSslCount());
    }

    private static byte[] clientHelloBytes() throws Exception {
        var client = jdk.createSSLEngine("localhost", 443);
        client.setUseClientMode(true);
        client.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(1 << 16);
        client.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    /**
     * Thousands of handshakes: every SSL is freed (counter back to its start) and the process RSS
     * stays bounded. Engines end three ways: close_notify, abrupt close of both directions, and
     * dropped mid-handshake (left to the Cleaner).
     */
    @Test
    void thousandsOfHandshakesLeaveNoNativeGarbage() throws Exception {
        long live = OpenSsl.liveSslCount();
        runHandshakes(300, 8_000);
        awaitLive(live);
        long rssWarm = rssKb();
        long mallocWarm = NativeHeap.inUseBytes();
        long t0 = System.nanoTime();
        // Up to 3000, but bounded in time on a loaded machine (this is not a speed test).
        long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        int n = runHandshakes(Integer.getInteger("soak.handshakes", 3000), Long.getLong("soak.millis", 20_000));
        long cpuMs = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1_000_000;
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        awaitLive(live);
        long rssAfter = rssKb();
        long mallocAfter = NativeHeap.inUseBytes();
        String report = String.format("soak: %d handshakes (JDK client + our server, same thread) in %d ms wall,"
                        + " %d ms CPU; malloc in use %d kB -> %d kB (%+d kB); VmRSS %d kB -> %d kB (%+d kB); live SSL %+d%n",
                n, elapsedMs, cpuMs, mallocWarm / 1024, mallocAfter / 1024, (mallocAfter - mallocWarm) / 1024,
                rssWarm, rssAfter, rssAfter - rssWarm, OpenSsl.liveSslCount() - live);
        System.out.print(report);
        Files.writeString(Path.of("target", "engine-soak.txt"), report);
        assertEquals(live, OpenSsl.liveSslCount(), "every SSL freed");
        // The exact check is the live-SSL counter above. malloc also serves the JVM (JIT, GC), which
        // moves it by ±25 MB (measured over 6000 handshakes: 21–47 MB, no trend), so only a gross
        // leak is asserted here: a leaked SSL (+ BIOs + 16 KiB scratch) is tens of KiB each.
        // VmRSS is reported, not asserted: it moves with the Java heap, which G1 grows and shrinks.
        if (mallocWarm >= 0) {
            assertTrue(mallocAfter - mallocWarm < 48 * 1024 * 1024,
                    "malloc in use grew by " + (mallocAfter - mallocWarm) / 1024 + " kB");
        }
    }

    private static int runHandshakes(int max, long maxMillis) throws Exception {
        long deadline = System.nanoTime() + maxMillis * 1_000_000;
        int i = 0;
        for (; i < max && (i < 300 || System.nanoTime() < deadline); i++) {
            if (i % 500 == 0 && Boolean.getBoolean("soak.trace")) {
                System.gc();
                System.out.printf("  %d: malloc in use %d kB, live SSL %d%n", i, NativeHeap.inUseBytes() / 1024, OpenSsl.liveSslCount());
            }
            EnginePair p = new EnginePair(jdk, ctx, i % 2 == 0 ? "TLSv1.3" : "TLSv1.2");
            switch (i % 3) {
                case 0 -> {
                    p.handshake();
                    p.client.closeOutbound();
                    p.pump();
                    p.pump();
                }
                case 1 -> {
                    p.handshake();
                    p.server.closeOutbound(); // what SslHandler does when the channel goes inactive
                    p.server.closeInbound();
                }
                default -> {
                    p.client.beginHandshake();
                    p.pump(); // ClientHello in, server flight out, then the engine is dropped
                }
            }
        }
        return i;
    }

    private static void awaitLive(long live) throws InterruptedException {
        for (int i = 0; i < 100 && OpenSsl.liveSslCount() != live; i++) {
            System.gc();
            Thread.sleep(20);
        }
    }

    private static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    @Test
    void offeredRecordsOfAnotherNamespaceAreIgnored() throws Exception {
        OpenSslServerEngine e = ctx.newOpenSslEngine(null, -1);
        e.resolved(ctx.defaultCertificate(), new SessionRecord(new SessionKey("0".repeat(32), io.tlssessioncache.core.TlsProtocol.TLS_1_3,
                io.tlssessioncache.core.SessionId.random()), null, null,
                java.time.Instant.now(), java.time.Instant.now().plusSeconds(60), new byte[] {1, 2, 3}));
        assertNull(e.getHandshakeSession());
        assertFalse(e.isSessionReused());
        e.freeNative();
    }
}
