package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slow clients cannot hold the server: the request-head deadline does not restart with each byte,
 * and connections over {@code --max-connections} are refused at accept, counted.
 */
@Timeout(180)
class SlowClientsTest {

    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    @Test
    void tricklingConnectionsAreClosedByTheRequestHeadDeadline() throws Exception {
        try (ServerProcess server = ServerProcess.start(null, 0, "--request-head-timeout", "3s")) {
            // HTTP/1.1, one byte a second: closed about 3 s after the handshake, mid-request
            try (SSLSocket socket = server.clients.handshake(server.address, "http/1.1")) {
                long closedAfter = HostileClients.trickle(socket, REQUEST, 1000);
                assertTrue(closedAfter > 0, "a trickling HTTP/1.1 connection was still open after " + REQUEST.length + " s");
                assertTrue(closedAfter >= 2000 && closedAfter < 6000, "closed after " + closedAfter + " ms");
            }
            // HTTP/2: the preface itself trickled
            try (SSLSocket socket = server.clients.handshake(server.address, "h2")) {
                long closedAfter = HostileClients.trickle(socket,
                        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 1000);
                assertTrue(closedAfter > 0 && closedAfter < 6000, "h2 preface trickle closed after " + closedAfter + " ms");
            }
            // A keep-alive connection: a quick first request, then the second trickled
            try (SSLSocket socket = server.clients.handshake(server.address, "http/1.1")) {
                socket.getOutputStream().write(REQUEST);
                assertTrue(readResponse(socket.getInputStream()).startsWith("HTTP/1.1 200"));
                Thread.sleep(4000); // idle between requests is not the deadline's business
                long closedAfter = HostileClients.trickle(socket, REQUEST, 1000);
                assertTrue(closedAfter > 0 && closedAfter < 6000, "second request trickle closed after " + closedAfter + " ms");
            }
            // A request that is slow but whole within the deadline is served.
            try (SSLSocket socket = server.clients.handshake(server.address, "http/1.1")) {
                int half = REQUEST.length / 2;
                socket.getOutputStream().write(REQUEST, 0, half);
                Thread.sleep(1500);
                socket.getOutputStream().write(REQUEST, half, REQUEST.length - half);
                assertTrue(readResponse(socket.getInputStream()).startsWith("HTTP/1.1 200"));
            }
            String scrape = server.scrape();
            assertEquals(3, ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"request-head-timeout\"}"), scrape);
            assertFalse(server.log().contains("[WARN]"), server::log);
        }
    }

    @Test
    void connectionsOverTheLimitAreRefusedAtAcceptAndCounted() throws Exception {
        try (ServerProcess server = ServerProcess.start(null, 0, "--max-connections", "5", "--peer-error-log-interval", "2s")) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    held.add(connect(server.address));
                }
                waitFor(() -> ServerProcess.sample(server.scrape(), "tls_session_cache_connections_open{listener=\"https\"}") == 5);
                for (int i = 0; i < 3; i++) {
                    boolean refused;
                    try (Socket extra = connect(server.address)) {
                        refused = closedAtOnce(extra);
                    } catch (java.net.SocketException resetWhileConnecting) {
                        refused = true; // the reset can beat connect()'s return
                    }
                    assertTrue(refused, "connection " + (6 + i) + " of 5 allowed was not refused");
                }
                String scrape = server.scrape();
                assertEquals(3, ServerProcess.sample(scrape, "tls_session_cache_connections_refused_total{listener=\"https\"}"), scrape);
                assertEquals(5, ServerProcess.sample(scrape, "tls_session_cache_connections_max{listener=\"https\"}"), scrape);
                held.remove(0).close();
                waitFor(() -> ServerProcess.sample(server.scrape(), "tls_session_cache_connections_open{listener=\"https\"}") == 4);
                assertTrue(get(server), "a slot freed is a slot served");
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            assertTrue(server.waitForLog("refused at accept", Duration.ofSeconds(10)), server::log);
        }
    }

    @Test
    void normalClientsAreServedUnderATrickleAttackWithALowLimit() throws Exception {
        try (ServerProcess server = ServerProcess.start(null, 0, "--max-connections", "20", "--request-head-timeout", "2s")) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger attackerConnections = new AtomicInteger();
            List<Thread> attackers = new ArrayList<>();
            for (int i = 0; i < 40; i++) { // twice the limit, each reconnecting as soon as it is closed
                attackers.add(Thread.ofPlatform().daemon().start(() -> {
                    while (!stop.get()) {
                        try (SSLSocket socket = server.clients.handshake(server.address, "http/1.1")) {
                            attackerConnections.incrementAndGet();
                            HostileClients.trickle(socket, REQUEST, 1000);
                        } catch (Exception refused) {
                            sleep(100);
                        }
                    }
                }));
            }
            try {
                Thread.sleep(1500); // the attackers hold every slot
                int served = 0;
                long start = System.nanoTime();
                for (int i = 0; i < 10; i++) {
                    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (!get(server)) {
                        assertTrue(System.nanoTime() < end, "normal client " + i + " not served within 20 s");
                        Thread.sleep(20);
                    }
                    served++;
                }
                assertEquals(10, served);
                String scrape = server.scrape();
                assertTrue(ServerProcess.sample(scrape, "tls_session_cache_connections_refused_total{listener=\"https\"}") > 0, scrape);
                assertTrue(ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"request-head-timeout\"}") >= 20, scrape);
                assertTrue(ServerProcess.sample(scrape, "tls_session_cache_connections_open{listener=\"https\"}") <= 20, scrape);
                System.out.printf("10 normal requests served in %d ms among %d attacker connections%n",
                        (System.nanoTime() - start) / 1_000_000, attackerConnections.get());
            } finally {
                stop.set(true);
                for (Thread t : attackers) {
                    t.join(10_000);
                }
            }
        }
    }

    @Test
    void theDefaultLimitFollowsTheFileLimitSoTheServerNeverRunsOutOfDescriptors() throws Exception {
        // 512 files: 90% less the reserve leaves 332 connections for clients
        try (ServerProcess server = ServerProcess.start(null, 512)) {
            assertTrue(server.log().contains("at most 332 open connections"), server::log);
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 450; i++) {
                    held.add(connect(server.address));
                }
                waitFor(() -> ServerProcess.sample(server.scrape(), "tls_session_cache_connections_refused_total{listener=\"https\"}") >= 118);
                String scrape = server.scrape();
                assertEquals(332, ServerProcess.sample(scrape, "tls_session_cache_connections_open{listener=\"https\"}"), scrape);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            waitFor(() -> ServerProcess.sample(server.scrape(), "tls_session_cache_connections_open{listener=\"https\"}") == 0);
            assertTrue(get(server));
            // Out of descriptors, Netty would log a WARN with a stack trace for every failed accept.
            assertFalse(server.log().contains("Too many open files"), server::log);
            assertFalse(server.log().contains("\tat "), server::log);
        }
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 5000);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** True if the server closed (or reset) the connection without waiting for anything. */
    private static boolean closedAtOnce(Socket socket) {
        try {
            socket.setSoTimeout(3000);
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** One normal HTTPS request; false if the connection was refused or failed. */
    private static boolean get(ServerProcess server) {
        try (SSLSocket socket = server.clients.handshake(server.address, "http/1.1")) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes());
            return readResponse(socket.getInputStream()).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    private static String readResponse(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        int n = in.read(buffer);
        return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Condition condition) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < end, "condition not reached in 20 s");
            Thread.sleep(50);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
