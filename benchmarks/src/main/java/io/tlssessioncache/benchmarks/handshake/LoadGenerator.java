package io.tlssessioncache.benchmarks.handshake;

import io.tlssessioncache.netty.internal.ClientSession;
import io.tlssessioncache.netty.internal.NativeClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * The handshake load generator: {@code threads} client threads (never the servers' event loops),
 * each a loop of blocking connections made with the project's OpenSSL binding in client mode, for a
 * warm-up and then a measurement window; only connections that start and end inside the window count.
 * Every connection is one TCP connect, one handshake, a 2-byte request and response, and a close.
 */
final class LoadGenerator {

    /** Which node each connection goes to and which session it offers. */
    enum Pattern {
        /** Every connection a full handshake (nothing offered), nodes in turn. */
        FULL,
        /** Always node 0, offering the session of the previous connection (TLS 1.3: its newest ticket). */
        RESUME_SAME,
        /** Pairs: a full handshake on node 0, then its session offered to node 0 again. */
        PAIR_SAME,
        /** Pairs: a full handshake on node 0, then its session offered to node 1 (which never saw it). */
        PAIR_OTHER,
        /** A uniformly random node per connection (client-side balancing), offering the previous connection's session. */
        RANDOM_NODE
    }

    /** What one run measured; latencies in microseconds. */
    record Result(String name, int connections, double seconds, long errors, String firstError,
                  Histogram full, Histogram resumed, Histogram missed, long serverCpuNanos) {

        long handshakes() {
            return full.getTotalCount() + resumed.getTotalCount() + missed.getTotalCount();
        }

        double perSecond() {
            return handshakes() / seconds;
        }

        /** Share of offered sessions that resumed. */
        double resumptionRate() {
            long offered = resumed.getTotalCount() + missed.getTotalCount();
            return offered == 0 ? Double.NaN : (double) resumed.getTotalCount() / offered;
        }

        /** Both windows together (same scenario measured in several slices). */
        Result plus(Result o) {
            Histogram f = full.copy();
            f.add(o.full);
            Histogram r = resumed.copy();
            r.add(o.resumed);
            Histogram m = missed.copy();
            m.add(o.missed);
            return new Result(name, connections, seconds + o.seconds, errors + o.errors,
                    firstError != null ? firstError : o.firstError, f, r, m,
                    serverCpuNanos < 0 || o.serverCpuNanos < 0 ? -1 : serverCpuNanos + o.serverCpuNanos);
        }

        /** Server event-loop CPU per handshake, µs (NaN when not measured). */
        double serverCpuMicrosPerHandshake() {
            return serverCpuNanos < 0 || handshakes() == 0 ? Double.NaN : serverCpuNanos / 1000.0 / handshakes();
        }
    }

    private LoadGenerator() {
    }

    static Result run(String name, NativeClient client, List<InetSocketAddress> nodes, Pattern pattern, int threads,
                      Duration warmup, Duration measure, LongSupplier serverCpuNanos) throws InterruptedException {
        long start = System.nanoTime();
        long measureStart = start + warmup.toNanos();
        long measureEnd = measureStart + measure.toNanos();
        AtomicLong errors = new AtomicLong();
        String[] firstError = new String[1];
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(i, client, nodes, pattern, measureStart, measureEnd, errors, firstError);
            workers.add(w);
            w.thread.start();
        }
        sleepUntil(measureStart);
        long cpu0 = serverCpuNanos == null ? 0 : serverCpuNanos.getAsLong();
        sleepUntil(measureEnd);
        long cpu1 = serverCpuNanos == null ? 0 : serverCpuNanos.getAsLong();
        Histogram full = histogram();
        Histogram resumed = histogram();
        Histogram missed = histogram();
        for (Worker w : workers) {
            // each connection is bounded by the client's socket timeouts, so this ends
            w.thread.join(Duration.ofSeconds(30));
            if (w.thread.isAlive()) {
                w.thread.interrupt();
                throw new IllegalStateException("client thread did not finish: " + name);
            }
            full.add(w.full);
            resumed.add(w.resumed);
            missed.add(w.missed);
        }
        return new Result(name, threads, measure.toNanos() / 1e9, errors.get(), firstError[0], full, resumed, missed,
                serverCpuNanos == null ? -1 : cpu1 - cpu0);
    }

    private static Histogram histogram() {
        return new Histogram(60_000_000L, 3); // µs, up to a minute
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000), 0);
        }
    }

    private static final class Worker implements Runnable {
        final Thread thread;
        final Histogram full = histogram();
        final Histogram resumed = histogram();
        final Histogram missed = histogram();
        private final NativeClient client;
        private final List<InetSocketAddress> nodes;
        private final Pattern pattern;
        private final long measureStart;
        private final long measureEnd;
        private final AtomicLong errors;
        private final String[] firstError;
        private final SplittableRandom random;
        private final int index;
        private ClientSession session;
        private long counter;

        Worker(int index, NativeClient client, List<InetSocketAddress> nodes, Pattern pattern, long measureStart,
               long measureEnd, AtomicLong errors, String[] firstError) {
            this.index = index;
            this.client = client;
            this.nodes = nodes;
            this.pattern = pattern;
            this.measureStart = measureStart;
            this.measureEnd = measureEnd;
            this.errors = errors;
            this.firstError = firstError;
            this.random = new SplittableRandom(0x5eed + index);
            this.thread = new Thread(this, "bench-client-" + index);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (System.nanoTime() < measureEnd) {
                    step();
                }
            } finally {
                replace(null);
            }
        }

        private void step() {
            long n = counter++;
            switch (pattern) {
                case FULL -> connect(nodes.get((int) ((n + index) % nodes.size())), false);
                case RESUME_SAME -> connect(nodes.get(0), true);
                case PAIR_SAME, PAIR_OTHER -> {
                    replace(null);
                    if (connect(nodes.get(0), false)) {
                        connect(nodes.get(pattern == Pattern.PAIR_SAME ? 0 : 1), true);
                    }
                }
                case RANDOM_NODE -> connect(nodes.get(random.nextInt(nodes.size())), true);
            }
        }

        /** One connection; true if it worked. Keeps the newest session for the next connection. */
        private boolean connect(InetSocketAddress node, boolean offer) {
            ClientSession offered = offer ? session : null;
            long t0 = System.nanoTime();
            NativeClient.Handshake h;
            try {
                h = client.connect(node, offered, BenchNode.REQUEST, BenchNode.RESPONSE.length);
            } catch (IOException | RuntimeException e) {
                if (errors.incrementAndGet() == 1) {
                    firstError[0] = e.toString();
                }
                replace(null);
                return false;
            }
            long t1 = System.nanoTime();
            if (t0 >= measureStart && t1 <= measureEnd) {
                long micros = Math.max(1, (t1 - t0) / 1000);
                Histogram target = offered == null ? full : h.reused() ? resumed : missed;
                target.recordValue(Math.min(micros, target.getHighestTrackableValue()));
            }
            replace(h.session());
            return true;
        }

        private void replace(ClientSession next) {
            if (session != null) {
                session.close();
            }
            session = next;
        }
    }
}
