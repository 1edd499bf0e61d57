package io.tlssessioncache.benchmarks.handshake;

import io.tlssessioncache.benchmarks.handshake.LoadGenerator.Result;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The "why" section: for each target this run missed, what the numbers of the same run say about
 * the cause, plus what profiling showed (JFR on the engine's event-loop threads) and what the engine
 * should change. The profile notes are fixed text: rerun the profile (see the end of the section)
 * before trusting them for a changed engine.
 */
final class Analysis {
    private Analysis() {
    }

    static String text(HandshakeBenchmark b, HandshakeBenchmark.Sections s) {
        Map<String, Result> r = s.byName;
        String ec = "ECDSA P-256";
        String engine = Provider.ENGINE.label;
        String tcn = Provider.NETTY_OPENSSL.label;
        StringBuilder md = new StringBuilder("## Why targets are missed, and what was changed\n\n");

        if (!s.reference.isEmpty()) {
            md.append("**OpenSSL alone, same machine, same run** (`openssl s_server -www` vs `openssl s_time -new` / "
                    + "`-reuse`, one client, ECDSA P-256): the library's own resumed/full ratio, with no Java, Netty or "
                    + "store around it (for reference: the resumed/full goals were dropped for section 0's comparison "
                    + "with nginx):\n\n| protocol | full connections | resumed connections | resumed/full |\n|---|---|---|---|\n");
            for (OpensslReference.Ratio ref : s.reference) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f× |%n", ref.protocol(), ref.newConnections(),
                        ref.reusedConnections(), ref.ratio()));
            }
            md.append('\n');
        }

        // The resumed/full ratio goals were dropped (issue 15): section 0 compares with nginx instead.
        // What the same-run numbers say about resumed vs full is kept below (tickets, the resumption path).

        for (String c : List.of(ec, "RSA 2048")) {
            Result with = r.get(Report.name1("TLSv1.3", "full", c, engine));
            Result without = r.get(Report.name1("TLSv1.3", "full", c, engine) + ", no tickets (diagnostic)");
            if (with != null && without != null) {
                int tickets = BenchNode.DEFAULT_TICKETS;
                double perTicket = (with.serverCpuMicrosPerHandshake() - without.serverCpuMicrosPerHandshake()) / tickets;
                md.append(String.format(Locale.ROOT, "- **What a TLS 1.3 ticket costs this engine (%s):** a full handshake "
                                + "takes %.0f µs of server CPU with the default %d ticket(s) and %.0f µs with none, i.e. about "
                                + "%.0f µs per ticket (%.0f%% of a full handshake; single runs differ by ±7–10%%, so a "
                                + "difference under ~70 µs is within noise). It is the engine's new-session path: the "
                                + "`new_cb` upcall, `i2d_SSL_SESSION`, reading the server name, ALPN, cipher and peer "
                                + "certificate through FFM, building the record, the store put, and flushing the ticket "
                                + "record (OpenSSL alone, `s_server -num_tickets 2` vs `0` under `s_time -new`, shows no "
                                + "measurable difference). A resumption pays it once (its new ticket).%n",
                        c, with.serverCpuMicrosPerHandshake(), tickets, without.serverCpuMicrosPerHandshake(), perTicket,
                        100 * tickets * perTicket / with.serverCpuMicrosPerHandshake()));
                Result resumed = r.get(Report.name1("TLSv1.3", "resumed", c, engine));
                if (resumed != null) {
                    double withoutTicket = resumed.serverCpuMicrosPerHandshake() - perTicket;
                    md.append(String.format(Locale.ROOT, "  Without its one new ticket, a resumption would cost about %.0f µs, "
                                    + "against %.0f µs for a full handshake without tickets: %s%n", withoutTicket,
                            without.serverCpuMicrosPerHandshake(), withoutTicket > 0.8 * without.serverCpuMicrosPerHandshake()
                                    ? "the resumption path (lookup handler, store `take`, `d2i_SSL_SESSION` in "
                                    + "`onGetSession`, session checks) costs about as much as the signature and "
                                    + "certificate it saves. With ECDSA P-256 that saving is one P-256 signature (tens of "
                                    + "µs in OpenSSL 3.0) and a certificate message; both handshakes still do X25519."
                                    : "the resumption path itself is cheaper, as it should be."));
                }
            }
        }

        for (String p : List.of("TLSv1.3", "TLSv1.2")) {
            Result same = r.get(Report.pairName(p, true));
            Result other = r.get(Report.pairName(p, false));
            if (same == null || other == null) {
                continue;
            }
            double ratio = same.resumed().getMean() / other.resumed().getMean();
            if (ratio < 0.9 || other.resumptionRate() < 0.99) {
                md.append(String.format(Locale.ROOT, "- **%s, resumption on another node: %.2f× the same-node rate, %.1f%% of "
                                + "offers resumed (same node: %.1f%%).** ", p, ratio, 100 * other.resumptionRate(),
                        100 * same.resumptionRate()));
                md.append(p.equals("TLSv1.2")
                        ? "On the same node a TLS 1.2 session is a near-cache hit (a few µs); on another node it is a "
                        + "Redis `GET`: the store's own lookup latency is in the counters of section 2 (`store lookup "
                        + "p50/p99`). That is more than the raw round trip of section 4 because, in this pattern, the "
                        + "first node's close and asynchronous `SET`, Redis, the second node and the client all want the "
                        + "2 CPUs in the same few hundred µs. Running Lettuce on the node's event loop "
                        + "(`RedisStoreOptions.eventLoopGroup`) removes two thread hand-offs per lookup; the last row "
                        + "shows the store's default for comparison. What remains is the round trip itself, which is the "
                        + "design (the session lives in Redis), not overhead. "
                        : "A TLS 1.3 ticket is single-use, so both cases `take` it from Redis; a difference is noise or the "
                        + "second node's connection to Redis. ");
                md.append("A new session is stored **asynchronously** after the handshake, and this client reconnects to "
                        + "the other node within microseconds, so its `GET`/`GETDEL` can reach Redis before the first "
                        + "node's `SET`. The store asks once more after 5 ms (`missRetryDelay`) when Redis answers nil; "
                        + "`retries found` in the counters are offers that this rescued, *misses* those it did not.\n");
            }
        }

        for (String p : List.of("TLSv1.3", "TLSv1.2")) {
            for (String c : List.of(ec, "RSA 2048")) {
                Result ours = r.get(Report.name3(p, c, Provider.ENGINE));
                if (ours != null && ours.resumptionRate() < 0.99) {
                    md.append(String.format(Locale.ROOT, "- **%s, %s, 3 nodes: %.1f%% resumed (goal ≥ 99%%).** Same cause as "
                                    + "above (see the counters of section 3): a session offered to another node before "
                                    + "its asynchronous put reached Redis, or a lookup past the 50 ms deadline while the "
                                    + "machine was overloaded. Stock Netty resumes only on the node that issued the "
                                    + "ticket (≈ 1/3).%n", p, c, 100 * ours.resumptionRate()));
                }
            }
        }

        if (s.lookup.size() == 6) {
            double near = Double.parseDouble(s.lookup.get(0)[1]);
            double hit = Double.parseDouble(s.lookup.get(1)[1]);
            double raw = Double.parseDouble(s.lookup.get(5)[1]);
            md.append(String.format(Locale.ROOT, "- **The store's Redis hit vs a raw `GET` (section 4):** p50 %.1f µs vs %.1f µs "
                            + "for a synchronous Lettuce `GET` of the same size, i.e. the store adds about %.0f µs per remote "
                            + "lookup on top of the round trip (near-cache hit: %.1f µs), measured in the same loop. That "
                            + "is the asynchronous path (a fresh stage, the deadline timer), the circuit breaker, AES-GCM "
                            + "open and decode (see `SealedCodecBenchmark` in the JMH table), and the near-cache's checks "
                            + "and fill. A miss costs the retry's 5 ms plus a second round trip (a genuine miss only; the "
                            + "row with the retry off is one round trip).%n",
                    hit, raw, hit - raw, near));
        }

        for (String p : List.of("TLSv1.3", "TLSv1.2")) {
            for (String c : List.of(ec, "RSA 2048")) {
                Result ours = r.get(Report.name1(p, "full", c, engine));
                Result stock = r.get(Report.name1(p, "full", c, tcn));
                if (ours == null || stock == null) {
                    continue;
                }
                double ratio = ours.perSecond() / stock.perSecond();
                if (ratio < 0.8) {
                    md.append(String.format(Locale.ROOT, "- **%s, %s, full handshakes: %.2f× netty-tcnative (server CPU %.0f vs "
                                    + "%.0f µs per handshake).** netty-tcnative statically links BoringSSL, whose "
                                    + "handshake path (no provider/decoder fetches, hand-tuned P-256 and X25519) is "
                                    + "faster than OpenSSL 3.0's: OpenSSL 3.0 is known to be slower in full handshakes "
                                    + "than 1.1.1 and BoringSSL (provider lookups and locking, improved in 3.1–3.3). "
                                    + "Engine change suggested: nothing in the FFM layer can recover that; a newer "
                                    + "libssl (3.2+) where available, and keeping per-connection Java work small.%n",
                            p, c, ratio, ours.serverCpuMicrosPerHandshake(), stock.serverCpuMicrosPerHandshake()));
                }
            }
        }

        md.append("""

                **Profile notes** (fixed text from the profile of 2026-12-01, `perf record -g` of each server
                process, `serve` with `-XX:+PreserveFramePointer` and the JIT's perf map; details, method and
                numbers in docs/reports/performance.md). Same OpenSSL 3.0 in nginx and this engine: libcrypto and
                libssl cost about the same per connection in both (TLS 1.3 full: ~475 vs ~435 µs of libcrypto at
                that load; TLS 1.2 resumed: ~165 vs ~110). The difference is ours: on a resumed TLS 1.2 connection
                about half of `serve`'s CPU is Java and the JVM (Netty's channel, pipeline, buffers and event loop
                the largest part; the HTTP codec, this engine's Java code, SslHandler, FFM glue a few % each) and
                the kernel costs ~1.5× nginx's (more system calls per connection: 25 with epoll, 32 with NIO, see
                that report). FFM transitions are not where the time goes (~80 downcalls per connection, 90% already
                `critical`, ~10–30 ns each). Two per-connection costs stand out in the engine: restricted
                `MemorySegment.reinterpret` calls that the JIT does not inline end in `Reflection.getCallerClass`
                stack walks (~1.6% of the CPU of a resumed TLS 1.2 connection: `NativeSsl.create`, the cleaner's
                `free`, `onGetSession`), and Netty's leak detector capturing a stack trace for 1 in 128 buffers (~1%).

                To profile again: `benchmarks/vs-nginx.py --out /tmp/x.md --rounds 0 --profile /tmp/prof --java-options=-XX:+PreserveFramePointer`
                (records each server per row with `perf`), then `benchmarks/perf-breakdown.py /tmp/prof/TLSv1.2-serve-resumed.data
                --exclude-jit --connections N` (N from the `.json` beside it).

                """);
        return md.toString();
    }
}
