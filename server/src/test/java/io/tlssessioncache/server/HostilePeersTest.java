package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hostile peer costs one connection and a meter increment, never log volume: {@code serve} runs
 * as its own process with the shipped logging configuration, and its whole log is read.
 */
@Timeout(180)
class HostilePeersTest {

    private static final int RESETTING_PEERS = 1000;

    @Test
    void aThousandPeersResettingAfterTheServerHelloCostABoundedNumberOfLogLines() throws Exception {
        try (ServerProcess server = ServerProcess.start(null, 0, "--peer-error-log-interval", "2s")) {
            int before = lines(server.log());
            AtomicInteger done = new AtomicInteger();
            run(RESETTING_PEERS, 8, () -> {
                server.clients.resetAfterServerHello(server.address);
                done.incrementAndGet();
            });
            assertEquals(RESETTING_PEERS, done.get());
            for (int i = 0; i < 20; i++) {
                server.clients.junkAfterH2(server.address);
                server.clients.binaryJunkAfterH2(server.address);
                server.clients.junkAfterHttp1(server.address);
                HostileClients.plainText(server.address);
            }
            assertTrue(server.waitForLog("in the last 2 s", Duration.ofSeconds(10)), server::log);
            Thread.sleep(2500); // the last interval's summary
            String scrape = server.scrape();
            String log = server.log();

            // every reset counted once, as a peer error; nothing taken for our own bug
            double resets = ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"reset-in-handshake\"}")
                    + ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"closed-in-handshake\"}");
            assertEquals(RESETTING_PEERS, resets, scrape);
            assertEquals(40, ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"http2-protocol\"}"), scrape);
            assertEquals(20, ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"bad-request\"}"), scrape);
            assertEquals(0, ServerProcess.sample(scrape, "tls_session_cache_internal_errors_total"), scrape);

            // Summary lines only, each naming the count: a small constant however many peers
            // (the attack takes a few 2-second intervals), no stack trace, no per-connection WARN.
            List<String> added = log.lines().skip(before).toList();
            assertTrue(added.size() <= 12, "log lines for " + RESETTING_PEERS + " resets: " + added.size() + "\n" + log);
            assertTrue(added.stream().allMatch(l -> l.contains("PeerErrors") && l.contains("ended by peer errors")), log);
            assertFalse(log.contains("\tat "), log);
            assertFalse(log.contains("[WARN]"), log);
            long summed = added.stream().mapToLong(HostilePeersTest::reportedCount).sum();
            // plain text instead of a ClientHello: OpenSSL refuses it, a failed handshake
            assertEquals(20, ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"handshake-failed\"}"), scrape);
            assertEquals(RESETTING_PEERS + 80, summed, "the summaries add up to every bad connection\n" + log);
            assertNoClientBytes(log);
        }
    }

    @Test
    void noClientBytesInTheLogEvenAtDebug() throws Exception {
        try (ServerProcess server = ServerProcess.start("debug", 0)) {
            for (int i = 0; i < 3; i++) {
                server.clients.junkAfterH2(server.address);
                server.clients.binaryJunkAfterH2(server.address);
                server.clients.junkAfterHttp1(server.address);
                HostileClients.plainText(server.address);
                server.clients.resetAfterServerHello(server.address);
            }
            String scrape = server.scrape();
            assertEquals(6, ServerProcess.sample(scrape, "tls_session_cache_peer_errors_total{kind=\"http2-protocol\"}"), scrape);
            assertTrue(server.waitForLog("http2-protocol", Duration.ofSeconds(5)), "debug lines name the kind");
            assertNoClientBytes(server.log());
        }
    }

    private static void assertNoClientBytes(String log) {
        assertFalse(log.contains(HostileClients.MARKER), "client bytes in the log:\n" + log);
        assertFalse(log.toLowerCase().contains(HostileClients.MARKER_HEX), "client bytes (hex) in the log:\n" + log);
        assertFalse(log.contains("Hex dump"), log);
    }

    /** The leading "N connections" of a summary line. */
    private static long reportedCount(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("- ([0-9,]+) connections? ended").matcher(line);
        return m.find() ? Long.parseLong(m.group(1).replace(",", "")) : 0;
    }

    private static int lines(String log) {
        return (int) log.lines().count();
    }

    interface Attack {
        void run() throws Exception;
    }

    static void run(int times, int threads, Attack attack) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < times; i++) {
                all.add(pool.submit(() -> {
                    attack.run();
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
