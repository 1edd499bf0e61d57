package io.tlssessioncache.server;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code serve} in a JVM of its own (this test classpath, the real logging configuration), its
 * stderr, the server's log, captured whole: what an operator would see.
 */
final class ServerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");
    private static final Pattern METRICS = Pattern.compile("metrics on http://(\\S+):(\\d+)/metrics");

    private final Process process;
    private final StringBuffer log;
    private final GeneratedCertificate certificate;
    /** Clients that trust this server's certificate. */
    final HostileClients clients;
    final InetSocketAddress address;
    final InetSocketAddress metrics;

    private ServerProcess(Process process, StringBuffer log, InetSocketAddress address, InetSocketAddress metrics,
                          GeneratedCertificate certificate) throws Exception {
        this.process = process;
        this.log = log;
        this.certificate = certificate;
        this.clients = new HostileClients(TestServers.trusting(certificate.certificate()));
        this.address = address;
        this.metrics = metrics;
    }

    /**
     * Starts {@code serve --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 ARGS}; {@code logLevel}
     * null keeps the shipped default; {@code fileLimit} > 0 runs it under {@code ulimit -n}.
     */
    static ServerProcess start(String logLevel, int fileLimit, String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        if (fileLimit > 0) {
            command.addAll(List.of("/bin/sh", "-c", "ulimit -n " + fileLimit + " && exec \"$@\"", "sh"));
        }
        command.addAll(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xmx256m"));
        if (logLevel != null) {
            command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + logLevel);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TlsSessionCacheCli.class.getName(),
                "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"));
        command.addAll(List.of(args));
        GeneratedCertificate certificate = GeneratedCertificate.create();
        command.addAll(List.of("--cert", certificate.certificate().toString(), "--key", certificate.privateKey().toString()));
        Process process = new ProcessBuilder(command).start();
        StringBuffer log = new StringBuffer();
        Clients.eachLine(process.getErrorStream(), line -> log.append(line).append('\n'));
        BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        Clients.eachLine(process.getInputStream(), stdout::add);
        InetSocketAddress address = null;
        InetSocketAddress metrics = null;
        while (address == null || metrics == null) {
            String line = stdout.poll(60, TimeUnit.SECONDS);
            if (line == null) {
                process.destroyForcibly();
                certificate.close();
                throw new IllegalStateException("serve did not start; its log:\n" + log);
            }
            Matcher m = LISTENING.matcher(line);
            Matcher n = METRICS.matcher(line);
            if (m.matches()) {
                address = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
            } else if (n.matches()) {
                metrics = new InetSocketAddress(n.group(1), Integer.parseInt(n.group(2)));
            }
        }
        ServerProcess server = new ServerProcess(process, log, address, metrics, certificate);
        server.waitForLog("ready", Duration.ofSeconds(10));
        return server;
    }

    /** The log so far. */
    String log() {
        return log.toString();
    }

    /** Waits until the log contains {@code text}; false if it did not in time. */
    boolean waitForLog(String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!log.toString().contains(text)) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** The meters in Prometheus' text format. */
    String scrape() throws Exception {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + HostPort.format(metrics) + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of one sample, e.g. {@code tls_session_cache_peer_errors_total{kind="reset"}}; 0 if absent. */
    static double sample(String scrape, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " ([0-9.eE+-]+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The sum of every sample of {@code name}, whatever its labels. */
    static double sum(String scrape, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(scrape);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    /** Stops it (SIGTERM) and returns its whole log. */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        certificate.close();
        Thread.sleep(200); // the last lines of the log
    }
}
