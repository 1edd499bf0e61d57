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
        StringBuilder md = new StringBuilder("## Why targets are missed, and what the engine should change\n\n");

        if (!s.reference.isEmpty()) {
            md.append("**OpenSSL alone, same machine, same run** (`openssl s_server -www` vs `openssl s_time -new` / "
                    + "`-reuse`, one client, ECDSA P-256): the library's own resumed/full ratio, with no Java, Netty or "
                    + "store around it:\n\n| protocol | full connections | resumed connections | resumed/full |\n|---|---|---|---|\n");
            for (OpensslReference.Ratio ref : s.reference) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f× |%n", ref.protocol(), ref.newConnections(),
                        ref.reusedConnections(), ref.ratio()));
            }
            md.append('\n');
        }

        for (String p : List.of("TLSv1.3", "TLSv1.2")) {
            for (String c : List.of(ec, "RSA 2048")) {
                Result full = r.get(Report.name1(p, "full", c, engine));
                Result res = r.get(Report.name1(p, "resumed", c, engine));
                if (full == null || res == null) {
                    continue;
                }
                double goal = p.equals("TLSv1.3") ? 2.5 : 8;
                double ratio = res.perSecond() / full.perSecond();
                double cpu = full.serverCpuMicrosPerHandshake() / res.serverCpuMicrosPerHandshake();
                OpensslReference.Ratio ref = s.reference.stream().filter(x -> x.protocol().equals(p)).findFirst().orElse(null);
                if (ratio >= goal) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "- **%s, %s, resumed/full on one node: %.2f× (goal %.1f×).** The "
                                + "server's CPU per handshake falls %.2f× (%.0f → %.0f µs)%s. ", p, c, ratio, goal, cpu,
                        full.serverCpuMicrosPerHandshake(), res.serverCpuMicrosPerHandshake(),
                        ref == null ? "" : String.format(Locale.ROOT,
                                "; OpenSSL alone (ECDSA, client and server together) gets %.2f× here", ref.ratio())));
                if (p.equals("TLSv1.3")) {
                    md.append("A TLS 1.3 resumption (psk_dhe_ke, what OpenSSL clients offer) still does the X25519 key "
                            + "exchange on both sides and still issues a ticket (a store put); it saves only the "
                            + "certificate message, the server's signature and the client's verification. With ECDSA "
                            + "P-256 that signature costs tens of µs, so the server-side saving is small next to the "
                            + "costs both kinds pay (TCP, Netty, X25519, tickets, store, the lookup handler); with RSA "
                            + "2048 the signature (~1 ms) dominates a full handshake and the ratio is larger. ");
                } else {
                    md.append("A TLS 1.2 abbreviated handshake has no public-key operation at all, so what is left is "
                            + "the per-connection cost: TCP connect/accept/close, Netty's channel and pipeline, the "
                            + "ClientHello parse and lookup, `SSL_new`/`SSL_free` and the memory-BIO copies, the request "
                            + "and response, and the client's own work on the same CPUs. An 8× ratio needs that fixed "
                            + "cost below 1/8 of a full handshake; with ECDSA the full handshake is itself cheap. ");
                }
                md.append("Handshakes/s ratios are compressed further because the server is not the bottleneck: "
                        + "JFR shows its event-loop thread idle in `select` for a large share of the run while the 4 "
                        + "client threads (which pay their own X25519 and, for full handshakes, a signature "
                        + "verification) and other processes share the 2 CPUs. Engine change suggested: cut the "
                        + "per-connection Java work listed in the profile notes below.\n");
            }
        }

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
                        ? "On the same node a TLS 1.2 session is a near-cache hit; on another node it is a Redis `GET` "
                        + "(section 4: a round trip of ~100 µs p50 on this loaded machine, against ~2 µs). "
                        : "A TLS 1.3 ticket is single-use, so both cases `take` it from Redis; a difference is noise or the "
                        + "second node's connection to Redis. ");
                md.append("Offers that did not resume are *misses* in the counters of section 2: the ticket or session "
                        + "was not in Redis yet. The node that made it stores it **asynchronously** after the handshake, "
                        + "and this client reconnects to the other node within microseconds of receiving the response, "
                        + "so its `GET`/`GETDEL` can reach Redis before the first node's `SET` (the two use different "
                        + "connections; on a loaded 2-CPU machine Lettuce's I/O thread can lag by milliseconds). "
                        + "Engine change suggested: on a miss, retry the lookup once after ~1–2 ms while within the lookup "
                        + "deadline (misses are rare in steady state, so this costs little); or hold the server's last "
                        + "handshake flight until the store acknowledged the put (bounded by a deadline).\n");
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
                            + "lookup on top of the round trip (near-cache hit: %.1f µs). That is the asynchronous path "
                            + "(command queued to Lettuce's event loop, completion back on another thread), the circuit "
                            + "breaker and deadline bookkeeping, AES-GCM open and decode. **Suggested change (redis-store):** "
                            + "run Lettuce on the server's event loops (see below) so a lookup issued on an event loop "
                            + "completes there, and measure `SealedRecordCodec.decode` in the JMH table for its share.%n",
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

                **Profile notes** (JFR `settings=profile`: Java execution samples and native-method samples of the
                engine node's event-loop thread, TLS 1.3, ECDSA, in-memory store, full and resumed runs profiled
                separately with `--full --only ...`; the samplers see few samples on this loaded machine, so read
                them as a ranking, not as shares):

                - The node thread spends a large share of its samples idle in `select` (native) and a visible share
                  in socket writes; time inside OpenSSL (`NativeSsl.handshake` in native state) is *smaller* than
                  the Java work around it. The Java side, by inclusive samples: `SslHandler.unwrap` →
                  `OpenSslServerEngine.unwrap` → `NativeSsl.handshake` with its callbacks (`onGetSession`;
                  `onNewSession`, which builds the record — server name, ALPN, cipher strings read through FFM —
                  and puts it into the store), then `ClientHelloLookupHandler` (parse, lookup, handler
                  replacement), then per-connection creation (`ResumingSslContext.newHandler` → `NativeSsl.create`:
                  `SSL_new`, two memory BIOs, a malloc'd 16 KiB plaintext block, a `Cleaner` registration and a
                  weak-reference registry entry), then Netty's allocator and promises.
                - With the Redis store, the hottest Java frame is `NioIoHandler.wakeup`, reached from
                  `Channel.writeAndFlush` inside Lettuce's `DefaultEndpoint`: every store put and lookup is handed
                  from the server's event loop to Lettuce's own event loop (a task plus an epoll wake-up system call),
                  and the answer hops back the same way.

                **Suggested changes**, in the order of expected gain:
                1. redis-store: give Lettuce the server's event loops (`ClientResources.builder().eventLoopGroupProvider(...)`)
                   so a command issued on an event loop is written there, without the cross-thread wake-up; or batch puts.
                2. engine: issue one TLS 1.3 ticket per full handshake by default (`ticketsPerHandshake(1)`): it halves
                   the record building, sealing and Redis writes of a full handshake; clients use one ticket per
                   connection anyway.
                3. engine: take the 16 KiB plaintext block from a per-event-loop pool instead of one `malloc` +
                   `Cleaner` per connection; build the record's strings (server name, ALPN, cipher) once per
                   session, lazily.
                4. lookup: on a miss, retry once after ~1–2 ms within the lookup deadline (see the misses above).

                To profile again: `java --enable-native-access=ALL-UNNAMED -XX:StartFlightRecording=filename=bench.jfr,settings=profile -cp benchmarks/target/benchmarks.jar io.tlssessioncache.benchmarks.handshake.HandshakeBenchmark --quick --out /tmp/x`,
                then `jfr print --stack-depth 25 --events jdk.ExecutionSample bench.jfr` and group the samples of the
                `bench-node-engine` threads by top frame.

                """);
        return md.toString();
    }
}
