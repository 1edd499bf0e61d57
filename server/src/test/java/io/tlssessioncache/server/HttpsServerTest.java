package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTPS side with real clients: JDK HttpClient (HTTP/1.1, HTTP/2 by ALPN), curl; two
 * listeners started by the real {@code serve} command line, sharing one store.
 */
@Timeout(60)
class HttpsServerTest {

    private static ServerNode server;
    private static InetSocketAddress a;
    private static InetSocketAddress b;
    private static SSLContext trust;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start("serve", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0");
        List<InetSocketAddress> addresses = server.addresses();
        assertEquals(2, addresses.size());
        a = addresses.get(0);
        b = addresses.get(1);
        assertTrue(a.getPort() > 0 && b.getPort() > 0 && a.getPort() != b.getPort(), addresses::toString);
        trust = TestServers.trusting(server.certificateFile());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpClient client(HttpClient.Version version) {
        return client(version, trust);
    }

    private static HttpClient client(HttpClient.Version version, SSLContext sslContext) {
        return HttpClient.newBuilder()
                .version(version)
                .sslContext(sslContext)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static HttpResponse<String> get(HttpClient client, InetSocketAddress server, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + HostPort.format(server) + path))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET /} from {@code server} with a client of {@code version}: a 200 in that version. */
    private static HttpResponse<String> page(HttpClient.Version version, InetSocketAddress server) throws Exception {
        try (HttpClient client = client(version)) {
            HttpResponse<String> response = get(client, server, "/");
            assertEquals(200, response.statusCode(), response::body);
            assertEquals(version, response.version());
            return response;
        }
    }

    @Test
    void jdkClientOverHttp2GetsThePageAndNegotiatesH2() throws Exception {
        HttpResponse<String> response = page(HttpClient.Version.HTTP_2, a);
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        String body = response.body();
        assertTrue(body.startsWith("resumed: "), body);
        assertTrue(body.contains("\nprotocol: TLSv1.3\n"), body);
        assertTrue(body.contains("\ncipher: TLS_"), body);
        assertTrue(body.contains("\nalpn: h2\n"), body);
        assertTrue(body.contains("\nnode: " + HostPort.format(a) + "\n"), body);
    }

    @Test
    void jdkClientOverHttp11GetsThePage() throws Exception {
        String body = page(HttpClient.Version.HTTP_1_1, b).body();
        // The JDK client offers no ALPN at all when asked for HTTP/1.1; the server falls back to it.
        assertTrue(body.contains("\nalpn: none\n"), body);
        assertTrue(body.contains("\nnode: " + HostPort.format(b) + "\n"), body);
    }

    @Test
    void otherPathsAre404AndOtherMethods405() throws Exception {
        for (HttpClient.Version version : HttpClient.Version.values()) {
            try (HttpClient client = client(version)) {
                assertEquals(404, get(client, a, "/nope").statusCode());
                HttpResponse<String> post = client.send(
                        HttpRequest.newBuilder(URI.create("https://" + HostPort.format(a) + "/"))
                                .timeout(Duration.ofSeconds(10))
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(405, post.statusCode());
                assertEquals("GET", post.headers().firstValue("allow").orElse(""));
            }
        }
    }

    @Test
    void oversizedRequestsAreRefused() throws Exception {
        for (HttpClient.Version version : HttpClient.Version.values()) {
            try (HttpClient client = client(version)) {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(URI.create("https://" + HostPort.format(a) + "/"))
                                .timeout(Duration.ofSeconds(10))
                                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(HttpsChannelInitializer.MAX_CONTENT + 1)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(413, response.statusCode(), version::toString);
            }
        }
    }

    @Test
    void oversizedHeadersAreRefused() {
        List<String> bigHeader = List.of("-H", "X-Big: " + "x".repeat(HttpsChannelInitializer.MAX_HEADERS * 2));
        String http1 = Clients.curl(a, "--http1.1", "/", bigHeader);
        assertTrue(http1.matches("(?s).*status=4(00|13|31)\\n.*"), http1);
        String http2 = Clients.curl(a, "--http2", "/", bigHeader);
        // HTTP/2: Netty answers 431 or resets the stream (curl then reports status 000); never a 200.
        assertTrue(http2.matches("(?s).*status=(431|000)\\n.*"), http2);
        // The connection-level bound did not hurt the listener.
        assertTrue(Clients.curl(a, "--http2", "/").contains("status=200"));
    }

    @Test
    void curlOverHttp11AndHttp2() {
        String http1 = Clients.curl(a, "--http1.1", "/");
        assertTrue(http1.startsWith("resumed: "), http1);
        assertTrue(http1.contains("alpn: http/1.1\n"), http1);
        assertTrue(http1.contains("http_version=1.1 status=200"), http1);

        String http2 = Clients.curl(b, "--http2", "/");
        assertTrue(http2.startsWith("resumed: "), http2);
        assertTrue(http2.contains("alpn: h2\n"), http2);
        assertTrue(http2.contains("http_version=2 status=200"), http2);

        assertTrue(Clients.curl(a, "--http2", "/favicon.ico").contains("http_version=2 status=404"));
    }

    @Test
    void jdkClientResumesOnANewConnection() throws Exception {
        // Two clients, one SSLContext: the JDK caches the session (ticket) per host:port in the
        // SSLContext, and a new HttpClient must open a new connection. A fresh SSLContext: no
        // session from the other tests.
        SSLContext sessions = TestServers.trusting(server.certificateFile());
        long created;
        try (HttpClient first = client(HttpClient.Version.HTTP_2, sessions)) {
            HttpResponse<String> r = get(first, b, "/");
            assertTrue(r.body().startsWith("resumed: no\n"), r.body());
            created = r.sslSession().orElseThrow().getCreationTime();
        }
        try (HttpClient second = client(HttpClient.Version.HTTP_2, sessions)) {
            HttpResponse<String> r = get(second, b, "/");
            assertTrue(r.body().startsWith("resumed: yes\n"), r.body());
            // the client's own view: JSSE keeps a resumed session's creation time (a full handshake makes a new session)
            assertEquals(created, r.sslSession().orElseThrow().getCreationTime(), "the JDK client did not resume");
        }
    }
}
