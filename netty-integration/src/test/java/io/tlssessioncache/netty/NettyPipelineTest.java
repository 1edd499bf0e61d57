package io.tlssessioncache.netty;

import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.tlssessioncache.netty.internal.OpenSsl;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our engine under Netty's SslHandler with a JDK socket client: payload sizes and closure. */
@Timeout(90)
class NettyPipelineTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static ResumingSslContext ctx;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir);
        ctx = ResumingSslContextBuilder.forServer(pki.rsaCert, pki.rsaKey).sessionStore(new MapSessionStore()).build();
        server = new TestServer(ctx);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        ctx.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void echoesPayloadsOfEverySize(String protocol) throws Exception {
        Random random = new Random(7);
        var sslContext = pki.jdkClient(pki.rsaCert, false, "TLS");
        for (int size : new int[] {0, 1, 16 * 1024 + 1, 10 * 1024 * 1024}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            Arrays.fill(data, 0, Math.min(size, 8), (byte) 'x'); // never "bye\n"
            try (SSLSocket s = (SSLSocket) sslContext.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                s.setEnabledProtocols(new String[] {protocol});
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        out.write(data);
                        out.flush();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                byte[] back = in.readNBytes(size);
                writer.join();
                assertArrayEquals(data, back, "size " + size);
            }
        }
    }

    @Test
    void clientCloseNotifyIsSeenByTheServerAndTheEngineIsFreed() throws Exception {
        long live = OpenSsl.liveSslCount();
        var sslContext = pki.jdkClient(pki.rsaCert, false, "TLS");
        try (TestServer own = new TestServer(ctx)) { // its own server: no events of other tests
            try (SSLSocket s = (SSLSocket) sslContext.getSocketFactory().createSocket("127.0.0.1", own.port())) {
                s.startHandshake();
                s.getOutputStream().write("x\n".getBytes());
                s.getOutputStream().flush();
                assertEquals('x', s.getInputStream().read());
            } // close() sends close_notify
            for (int i = 0; i < 100 && (own.closeEvents.isEmpty() || OpenSsl.liveSslCount() > live); i++) {
                Thread.sleep(50);
            }
            SslCloseCompletionEvent e = own.closeEvents.poll();
            assertTrue(e != null && e.isSuccess(), "server saw the client's close_notify: " + e);
            // ≤: an engine of an earlier test's connection may be freed meanwhile.
            assertTrue(OpenSsl.liveSslCount() <= live, "engine freed");
        }
    }

    @Test
    void serverCloseNotifyEndsTheClientStreamCleanly() throws Exception {
        var sslContext = pki.jdkClient(pki.rsaCert, false, "TLS");
        try (SSLSocket s = (SSLSocket) sslContext.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            s.startHandshake();
            s.getOutputStream().write("bye\n".getBytes());
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            assertArrayEquals("bye\n".getBytes(), in.readNBytes(4));
            // The JDK returns -1 only after a close_notify; a bare TCP close would throw.
            assertEquals(-1, in.read());
        }
    }

    @Test
    void jdkHttpClientCompletesAHandshake() throws Exception {
        // Not an HTTP server: the HttpClient handshakes, sends a request, and gets the request echoed back
        // (an invalid response). What matters here is that TLS with ALPN-less HTTP/1.1 works.
        HttpClient client = HttpClient.newBuilder().sslContext(pki.jdkClient(pki.rsaCert, false, "TLS"))
                .version(HttpClient.Version.HTTP_1_1).build();
        try (client) {
            var req = java.net.http.HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + "/"))
                    .timeout(java.time.Duration.ofSeconds(10)).build();
            try {
                client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
            } catch (java.io.IOException expected) {
                // "invalid status line" (our echo) is fine; a TLS failure is not.
                assertTrue(!(expected instanceof javax.net.ssl.SSLException), expected.toString());
            }
        }
        assertTrue(server.handshaken.stream().anyMatch(e -> "TLSv1.3".equals(e.getSession().getProtocol())));
    }
}
