package io.tlssessioncache.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.DomainWildcardMappingBuilder;
import io.tlssessioncache.core.MicrometerSessionCacheMetrics;
import io.tlssessioncache.core.InMemorySessionStore;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handler in a real Netty server (one event loop thread) with the real OpenSSL engine, driven by
 * {@code openssl s_client}, the JDK's TLS client and raw sockets.
 */
@Timeout(120)
class ClientHelloLookupHandlerTest {
    @TempDir
    static Path dir;
    static Path[] certA;
    static Path[] certB;
    static EventLoopGroup group;

    @BeforeAll
    static void setUp() throws Exception {
        certA = OpenSslCli.selfSigned(dir, "a.test");
        certB = OpenSslCli.selfSigned(dir, "b.test");
        // one thread: any blocking in the handler would stall every connection, which is what we test
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static final List<ResumingSslContext> contexts = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeContexts() {
        contexts.forEach(ResumingSslContext::close);
        contexts.clear();
    }

    /** Same certificate and context name: the same namespace, so servers share sessions through the store. */
    static ResumingSslContext context(Path[] cert, SessionStore store, Duration deadline) throws Exception {
        ResumingSslContext c = ResumingSslContextBuilder.forServer(cert[0], cert[1])
                .sessionStore(store)
                .lookupDeadline(deadline)
                .contextName("hook-test")
                .build();
        contexts.add(c);
        return c;
    }

    static ClientHelloTestServer server(ResumingSslContext context) throws InterruptedException {
        return new ClientHelloTestServer(group, () -> new ClientHelloLookupHandler(context));
    }

    /** The usual server: certificate A (so it shares sessions with every other such server) over {@code store}, 5 s deadline. */
    static ClientHelloTestServer server(SessionStore store) throws Exception {
        return server(context(certA, store, Duration.ofSeconds(5)));
    }

    static Path file(String name) {
        return dir.resolve(name + "-" + System.nanoTime() + ".pem");
    }

    static OpenSslCli.Client sClient(int port, String... args) throws Exception {
        OpenSslCli.Client c = OpenSslCli.sClient(port, List.of(args), 10_000);
        assertTrue(c.echoed(), "handshake and echo: " + c.output());
        return c;
    }

    // ---- resumption across servers through the shared store ----

    @Test
    void tls13TicketResumesOnAnotherServerOnceOnly() throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ClientHelloTestServer a = server(store);
             ClientHelloTestServer b = server(store)) {
            Path sess = file("t13");
            assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_out", sess.toString()).resumption());
            assertTrue(OpenSslCli.isFile(sess));
            assertEquals("Reused", sClient(b.port(), "-tls1_3", "-sess_in", sess.toString()).resumption());
            assertEquals(1, store.takes.size(), "one take per resumption attempt");
            assertTrue(store.gets.isEmpty(), "TLS 1.3 never reads a ticket without deleting it");
            // single use: the same ticket again, on either server, is a full handshake
            assertEquals("New", sClient(b.port(), "-tls1_3", "-sess_in", sess.toString()).resumption());
            assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_in", sess.toString()).resumption());
            assertEquals(3, store.takes.size());
            assertEquals(store.takes.get(0), store.takes.get(2), "the same key was asked for, and was gone");
        }
    }

    /** The same with cache-core's real in-memory store (Caffeine, expiry, atomic take) between the servers. */
    @Test
    void resumesAcrossServersThroughTheInMemoryStore() throws Exception {
        try (InMemorySessionStore store = InMemorySessionStore.builder().build();
             ClientHelloTestServer a = server(store);
             ClientHelloTestServer b = server(store)) {
            Path s13 = file("mem13");
            Path s12 = file("mem12");
            assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_out", s13.toString()).resumption());
            assertEquals("New", sClient(a.port(), "-tls1_2", "-sess_out", s12.toString()).resumption());
            assertEquals("Reused", sClient(b.port(), "-tls1_3", "-sess_in", s13.toString()).resumption());
            assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_in", s13.toString()).resumption(), "single use");
            assertEquals("Reused", sClient(b.port(), "-tls1_2", "-sess_in", s12.toString()).resumption());
            assertEquals("Reused", sClient(a.port(), "-tls1_2", "-sess_in", s12.toString()).resumption());
        }
    }

    /**
     * A HelloRetryRequest (the client's only key share is in a group the server does not take) makes
     * the client send a second ClientHello, which goes straight to the engine: the record the first
     * one's lookup offered must still resume.
     */
    @Test
    void ticketResumesAcrossAHelloRetryRequest() throws Exception {
        MapSessionStore store = new MapSessionStore();
        ResumingSslContext p256 = ResumingSslContextBuilder.forServer(certA[0], certA[1])
                .sessionStore(store).groups("P-256").contextName("hook-test").build();
        contexts.add(p256);
        try (ClientHelloTestServer a = server(p256)) {
            Path sess = file("hrr");
            sClient(a.port(), "-tls1_3", "-sess_out", sess.toString());
            OpenSslCli.Client c = sClient(a.port(), "-tls1_3", "-groups", "P-384:P-256", "-msg", "-sess_in", sess.toString());
            assertEquals(2, c.output().split("Handshake \\[length [0-9a-f]+\\], ClientHello", -1).length - 1,
                    "two ClientHellos: there was a HelloRetryRequest");
            assertEquals(1, store.takes.size(), "looked up once, for the first ClientHello");
            assertEquals("Reused", c.resumption(), c.output());
        }
    }

    @Test
    void tls12SessionResumesOnAnotherServerRepeatedly() throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ClientHelloTestServer a = server(store);
             ClientHelloTestServer b = server(store)) {
            Path sess = file("t12");
            assertEquals("New", sClient(a.port(), "-tls1_2", "-sess_out", sess.toString()).resumption());
            assertEquals("Reused", sClient(b.port(), "-tls1_2", "-sess_in", sess.toString()).resumption());
            assertEquals("Reused", sClient(a.port(), "-tls1_2", "-sess_in", sess.toString()).resumption());
            assertEquals(2, store.gets.size());
            assertTrue(store.takes.isEmpty());
        }
    }

    @Test
    void unknownTicketIsAFullHandshake() throws Exception {
        MapSessionStore store = new MapSessionStore();
        MapSessionStore other = new MapSessionStore();
        try (ClientHelloTestServer a = server(store);
             ClientHelloTestServer elsewhere = server(other)) {
            Path sess = file("unknown");
            sClient(elsewhere.port(), "-tls1_3", "-sess_out", sess.toString());
            assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_in", sess.toString()).resumption());
            assertEquals(1, store.takes.size(), "the unknown ticket was looked up, and missed");
        }
    }

    @Test
    void tls13ClientWithoutTicketCausesNoLookup() throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ClientHelloTestServer a = server(store)) {
            assertEquals("New", sClient(a.port(), "-tls1_3").resumption());
            assertEquals("TLSv1.3", jdkHandshake(a.port(), "TLSv1.3"));
            // both clients send a random 32-byte legacy session id: no store round trip for it
            assertTrue(store.gets.isEmpty() && store.takes.isEmpty(), "gets " + store.gets + " takes " + store.takes);
        }
    }

    @Test
    void tls12SessionOfATls13CapableClientIsLookedUpOnlyWhereTls12WillBeNegotiated() throws Exception {
        MapSessionStore store = new MapSessionStore();
        ResumingSslContext only12 = ResumingSslContextBuilder.forServer(certA[0], certA[1])
                .sessionStore(store).protocols("TLSv1.2").contextName("hook-test-12").build();
        contexts.add(only12);
        try (ClientHelloTestServer s12 = server(only12);
             ClientHelloTestServer s13 = server(store)) {
            Path sess = file("t12only");
            assertEquals("New", sClient(s12.port(), "-tls1_2", "-sess_out", sess.toString()).resumption());
            // no version flag: the client offers TLS 1.3 and 1.2, and its TLS 1.2 session id
            OpenSslCli.Client resumed = sClient(s12.port(), "-sess_in", sess.toString());
            assertEquals("Reused", resumed.resumption());
            assertTrue(resumed.output().contains("TLSv1.2"), resumed.output());
            assertEquals(1, store.gets.size());
            // a TLS 1.3 server would negotiate TLS 1.3 and could not resume it anyway: no store round trip
            assertEquals("New", sClient(s13.port(), "-sess_in", sess.toString()).resumption());
            assertEquals(1, store.gets.size());
        }
    }

    @Test
    void closedContextClosesTheConnection() throws Exception {
        ResumingSslContext ctx = context(certA, new MapSessionStore(), Duration.ofSeconds(5));
        try (ClientHelloTestServer s = server(ctx)) {
            assertEquals("TLSv1.3", jdkHandshake(s.port(), "TLSv1.3"));
            ctx.close();
            assertClosedWithoutReply(s.port(), ClientHelloBytes.record(ClientHelloParserTest.jdkClientHello("TLSv1.3", "a.test")));
        }
    }

    // ---- a slow, hanging or failing store ----

    /**
     * While one connection's lookup is pending (the store answers only when the test says so), another
     * connection on the same single event loop thread completes its handshake: the lookup blocks
     * nothing. Then the held answer arrives from the test thread and the first connection resumes.
     */
    @Test
    void pendingLookupBlocksNoOtherConnection() throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ClientHelloTestServer a = server(context(certA, store, Duration.ofSeconds(30)))) {
            Path sess = file("slow");
            sClient(a.port(), "-tls1_3", "-sess_out", sess.toString());
            store.gate = new CompletableFuture<>();
            store.mode = MapSessionStore.Mode.GATED;
            CompletableFuture<OpenSslCli.Client> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return OpenSslCli.sClient(a.port(), List.of("-tls1_3", "-sess_in", sess.toString()), 20_000);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (store.takes.size() < 1 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(1, store.takes.size(), "the slow connection's lookup is pending");

            long t0 = System.nanoTime();
            assertEquals("TLSv1.3", jdkHandshake(a.port(), "TLSv1.3"));
            assertEquals("New", sClient(a.port(), "-tls1_2").resumption());
            long others = System.nanoTime() - t0;
            assertFalse(slow.isDone(), "the slow connection is still waiting for the store");
            System.out.printf("[hook] two handshakes while a lookup was pending: %d ms%n", others / 1_000_000);

            store.gate.complete(null);
            assertEquals("Reused", slow.get(20, TimeUnit.SECONDS).resumption());
        }
    }

    @Test
    void lookupDeadlineGivesAFullHandshake() throws Exception {
        MapSessionStore store = new MapSessionStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ResumingSslContext ctx = context(certA, store, Duration.ofMillis(50));
        try (ClientHelloTestServer a = new ClientHelloTestServer(group, () -> new ClientHelloLookupHandler(ctx,
                MicrometerSessionCacheMetrics.create(registry), ClientHelloLookupHandler.DEFAULT_HELLO_TIMEOUT))) {
            Path sess = file("deadline");
            sClient(a.port(), "-tls1_3", "-sess_out", sess.toString());
            store.mode = MapSessionStore.Mode.HANG; // never answers: only the deadline can end the wait
            long t0 = System.nanoTime();
            assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_in", sess.toString()).resumption());
            System.out.printf("[hook] s_client run with a hanging store, deadline 50 ms: %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            assertEquals(1, store.takes.size());

            // the same with the JDK client, timing the handshake itself in this process
            store.mode = MapSessionStore.Mode.NORMAL;
            SSLContext jdk = trustAll();
            Jdk full = jdkHandshake(jdk, a.port(), "TLSv1.3"); // no ticket yet: no lookup; receives tickets
            store.mode = MapSessionStore.Mode.HANG;
            Jdk waited = jdkHandshake(jdk, a.port(), "TLSv1.3"); // offers a ticket: the lookup hangs until the deadline
            assertEquals(2, store.takes.size(), "the JDK client offered its ticket");
            assertEquals(2.0, registry.get("tls.session.cache.store.errors").tag("operation", "lookup-deadline")
                    .counter().count());
            System.out.printf("[hook] JDK handshake without lookup: %.1f ms; with a hanging lookup, deadline 50 ms: %.1f ms%n",
                    full.handshakeNanos() / 1e6, waited.handshakeNanos() / 1e6);
        }
    }

    @Test
    void failingStoreGivesAFullHandshake() throws Exception {
        MapSessionStore store = new MapSessionStore();
        try (ClientHelloTestServer a = server(store)) {
            Path s13 = file("fail13");
            Path s12 = file("fail12");
            sClient(a.port(), "-tls1_3", "-sess_out", s13.toString());
            sClient(a.port(), "-tls1_2", "-sess_out", s12.toString());
            for (MapSessionStore.Mode mode : List.of(MapSessionStore.Mode.FAIL, MapSessionStore.Mode.THROW)) {
                store.mode = mode;
                assertEquals("New", sClient(a.port(), "-tls1_3", "-sess_in", s13.toString()).resumption(), mode.name());
                assertEquals("New", sClient(a.port(), "-tls1_2", "-sess_in", s12.toString()).resumption(), mode.name());
            }
            assertEquals(2, store.takes.size());
            assertEquals(2, store.gets.size());
            store.mode = MapSessionStore.Mode.NORMAL;
            assertEquals("Reused", sClient(a.port(), "-tls1_2", "-sess_in", s12.toString()).resumption(),
                    "the store is back: this test could have failed");
        }
    }

    // ---- one port, several certificates ----

    @Test
    void serverNameChoosesTheContextAndSessionsStayInTheirs() throws Exception {
        MapSessionStore store = new MapSessionStore();
        ResumingSslContext ctxA = context(certA, store, Duration.ofSeconds(5));
        ResumingSslContext ctxB = context(certB, store, Duration.ofSeconds(5));
        var mapping = new DomainWildcardMappingBuilder<ResumingSslContext>(ctxA)
                .add("a.test", ctxA)
                .add("b.test", ctxB)
                .build();
        try (ClientHelloTestServer s = new ClientHelloTestServer(group, () -> new ClientHelloLookupHandler(mapping))) {
            Path sess = file("sni");
            OpenSslCli.Client first = sClient(s.port(), "-tls1_3", "-servername", "a.test", "-sess_out", sess.toString());
            assertTrue(first.subject().contains("a.test"), first.subject());
            OpenSslCli.Client other = sClient(s.port(), "-tls1_3", "-servername", "b.test");
            assertTrue(other.subject().contains("b.test"), other.subject());

            OpenSslCli.Client cross = sClient(s.port(), "-tls1_3", "-servername", "b.test", "-sess_in", sess.toString());
            assertTrue(cross.subject() == null || cross.subject().contains("b.test"), cross.output());
            assertEquals("New", cross.resumption());
            // the ticket was offered to b.test and looked up in b.test's namespace only...
            assertEquals(1, store.takes.size());
            assertEquals(ctxB.namespace(), store.takes.getFirst().namespace());
            assertFalse(ctxA.namespace().equals(ctxB.namespace()));
            // ...so it is still there for a.test, where it resumes
            assertEquals("Reused", sClient(s.port(), "-tls1_3", "-servername", "a.test", "-sess_in", sess.toString())
                    .resumption());
        }
    }

    // ---- hostile input closes that connection only ----

    @Test
    void garbageTruncatedOversizedAndMutatedHellosCloseTheirConnectionOnly() throws Exception {
        MapSessionStore store = new MapSessionStore();
        ResumingSslContext ctx = context(certA, store, Duration.ofSeconds(5));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SessionCacheMetrics metrics = MicrometerSessionCacheMetrics.create(registry);
        try (ClientHelloTestServer s = new ClientHelloTestServer(group,
                () -> new ClientHelloLookupHandler(ctx, metrics, Duration.ofMillis(300)))) {
            int port = s.port();
            // plain text, not TLS at all
            assertClosedWithoutReply(port, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // an alert record that is no record (SslClientHelloHandler: NotSslRecordException)
            assertClosedWithoutReply(port, new byte[] {21, 3, 3, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0});
            // a handshake record holding another message than ClientHello
            assertClosedWithoutReply(port, new byte[] {22, 3, 1, 0, 4, 2, 0, 0, 0});
            // a ClientHello claiming 1 MiB (over the 64 KiB limit)
            assertClosedWithoutReply(port, new byte[] {22, 3, 1, 0, 4, 1, 0x10, 0, 0});
            // a record cut short: the hello timeout (300 ms here) closes it
            byte[] real = ClientHelloBytes.record(ClientHelloParserTest.jdkClientHello("TLSv1.3", "a.test"));
            assertClosedWithoutReply(port, java.util.Arrays.copyOf(real, real.length / 2));
            // nothing at all
            assertClosedWithoutReply(port, new byte[0]);
            // malformed bodies in well-framed records: duplicate extension, psk not last, bad SNI
            assertClosedWithoutReply(port, new ClientHelloBytes().sni("a.test").sni("a.test").record());
            assertClosedWithoutReply(port, ClientHelloBytes.tls13().psk(ClientHelloBytes.filled(32, 1)).sni("a.test").record());
            assertClosedWithoutReply(port, ClientHelloBytes.tls13().sni("a b").record());

            // ~2000 mutated real ClientHello bodies, each in a well-framed record
            List<byte[]> bodies = List.of(ClientHelloParserTest.jdkClientHello("TLSv1.3", "a.test", "h2"),
                    ClientHelloParserTest.jdkClientHello("TLSv1.2", "a.test"),
                    ClientHelloBytes.tls13().sni("a.test").psk(ClientHelloBytes.filled(32, 1)).body());
            Random random = new Random(7);
            int rejected = 0;
            int accepted = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                byte[] body = ClientHelloParserTest.mutate(bodies.get(i % bodies.size()), random);
                if (ClientHelloParserTest.parseOrMalformed(body).isPresent()) {
                    // well-formed for us: OpenSSL decides; the connection must still end
                    sendAndHalfClose(port, ClientHelloBytes.record(body));
                    accepted++;
                } else {
                    assertClosedWithoutReply(port, ClientHelloBytes.record(body));
                    rejected++;
                }
            }
            System.out.printf("[hook] 2000 mutated hellos over sockets: %d rejected by the parser, %d handed to OpenSSL, %d ms%n",
                    rejected, accepted, (System.nanoTime() - t0) / 1_000_000);
            assertTrue(rejected > 500, "the mutations mostly break the hello: " + rejected);
            // every connection the parser rejected, plus the hand-made bad ones above except the two the
            // hello timeout closed, is counted once (oversized / not-TLS ones come through exceptionCaught)
            double counted = registry.get("tls.session.cache.rejected").tag("reason", "malformed-hello").counter().count();
            System.out.printf("[hook] malformed-hello counted %.0f for %d parser rejections + 7 hand-made%n", counted, rejected);
            assertEquals(rejected + 7, counted, 0.0, "each bad connection counted once");

            // and the server still serves real clients
            assertEquals("TLSv1.3", jdkHandshake(port, "TLSv1.3"));
            assertEquals("New", sClient(port, "-tls1_3").resumption());
        }
    }

    /** Sends bytes and expects the server to close the connection without sending a byte. */
    static void assertClosedWithoutReply(int port, byte[] bytes) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("server did not close the connection within 5 s", e);
            } catch (IOException reset) {
                return; // reset by the server: closed
            }
            assertEquals(-1, b, "server closed without replying");
        }
    }

    /** Sends bytes, half-closes, and reads until the server closes (bounded by the socket timeout). */
    static void sendAndHalfClose(int port, byte[] bytes) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(bytes);
            socket.shutdownOutput();
            try {
                socket.getInputStream().transferTo(new ByteArrayOutputStream());
            } catch (SocketTimeoutException e) {
                throw new AssertionError("server did not close the connection within 5 s", e);
            } catch (IOException reset) {
                // reset by the server: closed
            }
        }
    }

    /** A JDK client context trusting anything: the server's identity is not what these tests are about. */
    static SSLContext trustAll() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ssl;
    }

    /** A JDK client handshake with a fresh client context (so nothing to resume) and one echo. */
    static String jdkHandshake(int port, String protocol) throws Exception {
        return jdkHandshake(trustAll(), port, protocol).protocol();
    }

    record Jdk(String protocol, long handshakeNanos) {
    }

    /** A JDK client handshake (resuming whatever {@code ssl} holds for this port) and one echo. */
    static Jdk jdkHandshake(SSLContext ssl, int port, String protocol) throws Exception {
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {protocol});
            long t0 = System.nanoTime();
            socket.startHandshake();
            long t = System.nanoTime() - t0;
            socket.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            byte[] echo = socket.getInputStream().readNBytes(6);
            assertEquals("hello\n", new String(echo, StandardCharsets.US_ASCII));
            return new Jdk(socket.getSession().getProtocol(), t);
        }
    }
}
