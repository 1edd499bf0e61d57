package io.tlssessioncache.benchmarks.handshake;

import io.tlssessioncache.netty.internal.ClientSession;
import io.tlssessioncache.netty.internal.NativeClient;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The handshake load generator as a command, for drills against running servers
 * ({@code scripts/resilience}, {@code scripts/netfaults}): {@code --threads} client threads, each a
 * loop of connections made with the project's OpenSSL client, each connection going to the next
 * {@code --target} in turn and offering the session the previous one received, so a session made
 * on node A is resumed on node B. Each connection sends {@code GET /} and reads the first bytes of
 * the answer (as many as {@code "HTTP/1.1 200 "}; {@link NativeClient} does not hand the bytes
 * back, so the status itself is not checked).
 *
 * <p>Writes one line per connection to {@code --out}: {@code START_EPOCH_MS MICROS OUTCOME
 * TARGET_INDEX} with OUTCOME {@code full} (nothing offered), {@code resumed}, {@code missed}
 * (offered, not resumed) or {@code failed} (no handshake, or no answer within {@code --timeout}); drill scripts
 * cut it into windows around their events. Runs for {@code --duration}, or until
 * {@code --stop-file} exists. Prints a summary line at the end.
 *
 * <pre>java -cp benchmarks.jar io.tlssessioncache.benchmarks.handshake.LoadCli --target 10.0.0.1:8443 \
 *     --target 10.0.0.2:8443 --threads 8 --duration 60s --out load.txt</pre>
 *
 * <p>The client does not verify the server's certificate (see {@link NativeClient}): drills only.
 */
public final class LoadCli {

    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = "HTTP/1.1 200 ".getBytes(StandardCharsets.US_ASCII);

    private LoadCli() {
    }

    public static void main(String[] args) throws Exception {
        List<InetSocketAddress> targets = new ArrayList<>();
        int threads = 8;
        String protocol = "TLSv1.3";
        Duration duration = null;
        Path stopFile = null;
        Path out = null;
        Duration timeout = Duration.ofSeconds(5);
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--target" -> targets.add(address(value));
                case "--threads" -> threads = Integer.parseInt(value);
                case "--protocol" -> protocol = value;
                case "--duration" -> duration = duration(value);
                case "--stop-file" -> stopFile = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--timeout" -> timeout = duration(value);
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (targets.isEmpty() || out == null || (duration == null && stopFile == null) || threads < 1) {
            usage("need --target, --out and --duration or --stop-file");
        }
        long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        Path stop = stopFile;
        AtomicBoolean stopping = new AtomicBoolean();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(100_000);
        Histogram latencies = new Histogram(60_000_000L, 3);
        AtomicLong[] outcomes = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};
        long started = System.nanoTime();
        try (NativeClient client = NativeClient.builder().protocol(protocol).timeout(timeout).build();
             BufferedWriter writer = Files.newBufferedWriter(out)) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int index = t;
                workers.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                    ClientSession session = null;
                    long n = index; // workers start on different targets
                    while (!stopping.get() && System.nanoTime() < end) {
                        int target = (int) (n++ % targets.size());
                        ClientSession offered = session;
                        long startMs = System.currentTimeMillis();
                        long t0 = System.nanoTime();
                        int outcome;
                        try {
                            NativeClient.Handshake h = client.connect(targets.get(target), offered, REQUEST, OK.length);
                            outcome = offered == null ? 0 : h.reused() ? 1 : 2;
                            if (h.session() != null) {
                                if (session != null) {
                                    session.close();
                                }
                                session = h.session();
                            }
                        } catch (IOException | RuntimeException e) {
                            outcome = 3; // keep offering the last session, as a real client would
                        }
                        long micros = Math.max(1, (System.nanoTime() - t0) / 1000);
                        outcomes[outcome].incrementAndGet();
                        synchronized (latencies) {
                            latencies.recordValue(Math.min(micros, latencies.getHighestTrackableValue()));
                        }
                        // bounded: a writer that falls behind costs lines, never memory
                        lines.offer(startMs + " " + micros + " " + OUTCOMES[outcome] + " " + target);
                    }
                    if (session != null) {
                        session.close();
                    }
                }));
            }
            Thread watcher = Thread.ofPlatform().daemon().start(() -> {
                while (!stopping.get()) {
                    if (stop != null && Files.exists(stop)) {
                        stopping.set(true);
                    }
                    sleep(100);
                }
            });
            List<String> batch = new ArrayList<>();
            while (workers.stream().anyMatch(Thread::isAlive) || !lines.isEmpty()) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line != null) {
                    batch.add(line);
                    lines.drainTo(batch);
                    for (String l : batch) {
                        writer.write(l);
                        writer.write('\n');
                    }
                    batch.clear();
                    writer.flush();
                }
            }
            stopping.set(true);
            watcher.join(1000);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long total = 0;
        for (AtomicLong o : outcomes) {
            total += o.get();
        }
        long offered = outcomes[1].get() + outcomes[2].get();
        System.out.printf(Locale.ROOT, "load: %d connections in %.1f s (%.0f/s): %d full, %d/%d resumed, %d failed; "
                        + "p50 %.1f ms, p99 %.1f ms%n", total, seconds, total / seconds, outcomes[0].get(),
                outcomes[1].get(), offered, outcomes[3].get(),
                latencies.getValueAtPercentile(50) / 1000.0, latencies.getValueAtPercentile(99) / 1000.0);
    }

    private static final String[] OUTCOMES = {"full", "resumed", "missed", "failed"};

    private static InetSocketAddress address(String value) {
        if (value == null || value.lastIndexOf(':') < 1) {
            usage("--target HOST:PORT");
        }
        int colon = value.lastIndexOf(':');
        return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}. */
    private static Duration duration(String value) {
        if (value == null) {
            usage("a duration: 500ms, 30s, 2m");
        }
        if (value.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        long n = Long.parseLong(value.substring(0, value.length() - 1));
        return switch (value.charAt(value.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            default -> {
                usage("a duration: 500ms, 30s, 2m");
                yield null;
            }
        };
    }

    private static void usage(String why) {
        System.err.println("LoadCli: " + why);
        System.err.println("usage: LoadCli --target HOST:PORT [--target ...] --out FILE (--duration D | --stop-file F)"
                + " [--threads 8] [--protocol TLSv1.3|TLSv1.2] [--timeout 5s]");
        System.exit(2);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
