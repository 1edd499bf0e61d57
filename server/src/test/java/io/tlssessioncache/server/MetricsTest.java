package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --metrics-listen}: the meters that the store, the ClientHello lookup and the engine record
 * are served in Prometheus' text format, and they move with real handshakes.
 */
@Timeout(120)
class MetricsTest {

    @TempDir
    Path dir;

    @Test
    void countsLookupsHitsMissesAndPutsOfRealHandshakes() throws Exception {
        try (ServerNode server = TestServers.start("serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0")) {
            assertEquals(1, server.addresses().size(), "the metrics listener is not a TLS listener");
            InetSocketAddress tls = server.addresses().get(0);
            InetSocketAddress metrics = server.metricsAddress().orElseThrow();

            Path session = dir.resolve("s.pem");
            assertTrue(Clients.sClient(tls, "-tls1_3", session, null).isNew());
            Clients.SClientResult resumed = Clients.sClient(tls, "-tls1_3", null, session);
            assertTrue(resumed.reused(), resumed::toString);
            Clients.SClientResult again = Clients.sClient(tls, "-tls1_3", null, session); // ticket already taken
            assertTrue(again.isNew(), again::toString);

            String text = scrape(metrics);
            assertEquals(2.0, value(text, "tls_session_cache_lookups_total"), text);
            assertEquals(1.0, value(text, "tls_session_cache_store_hits_total"), text);
            assertEquals(1.0, value(text, "tls_session_cache_misses_total"), text);
            assertEquals(2.0, value(text, "tls_session_cache_takes_total"), text);
            // One ticket after each of the two full handshakes and one after the resumption.
            assertTrue(value(text, "tls_session_cache_puts_total") >= 3.0, text);
            assertEquals(2.0, value(text, "tls_session_cache_lookup_latency_seconds_count"), text);

            HttpResponse<String> notFound = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://" + HostPort.format(metrics) + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, notFound.statusCode());
        }
    }

    private static String scrape(InetSocketAddress metrics) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + HostPort.format(metrics) + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        return response.body();
    }

    private static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
        assertTrue(m.find(), name + " missing");
        return Double.parseDouble(m.group(1));
    }
}
