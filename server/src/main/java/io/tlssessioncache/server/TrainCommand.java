package io.tlssessioncache.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tls-session-cache train}: the training run of a JDK AOT cache. Starts {@code serve} in this
 * JVM (embedded store, a generated certificate, loopback only) and drives it with real handshakes of
 * every kind it serves, so that a JVM started with {@code -XX:AOTCacheOutput} records the classes and
 * method profiles of the handshake path; a later {@code -XX:AOTCache} start then loads them instead of
 * re-learning them (the JIT needs ~5,000 compilations and tens of seconds of CPU before {@code serve}
 * reaches its steady cost). The client is the JDK's own TLS (JSSE), so the server's code is profiled
 * with a real peer and the client's code does not share it.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        usageHelpAutoWidth = true,
        description = {
                "Serves itself over loopback for a while (TLS 1.3 and TLS 1.2, full and resumed handshakes, HTTP/1.1 "
                        + "requests and metrics scrapes) and exits: the training run of a JDK AOT cache. "
                        + "bin/tls-session-cache aot-cache runs it under -XX:AOTCacheOutput; see docs/guide/operations.md.",
                ""})
final class TrainCommand implements Callable<Integer> {

    private static final byte[] REQUEST =
            "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "30",
            description = "How long to drive the server (1-600). Default: ${DEFAULT-VALUE}.")
    int seconds;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || seconds > 600) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--seconds must be 1 to 600");
        }
        PrintWriter out = spec.commandLine().getOut();
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0");
        try (ServerNode node = ServerNode.start(serve.settings())) {
            InetSocketAddress server = node.addresses().get(0);
            URI metrics = URI.create("http://" + HostPort.format(node.metricsAddress().orElseThrow()) + "/metrics");
            Counts counts = drive(server, metrics, trusting(node.certificateFile()), Duration.ofSeconds(seconds));
            out.println(counts.summary(seconds));
            out.flush();
            if (!counts.resumedEveryProtocol()) {
                spec.commandLine().getErr().println("error: a protocol never resumed: the training missed the resumption path");
                return 1;
            }
        }
        return 0;
    }

    /** Round robin over the four kinds (and a metrics scrape a second) until the time is up. */
    private static Counts drive(InetSocketAddress server, URI metrics, SSLContext tls, Duration length) throws Exception {
        Counts counts = new Counts();
        long end = System.nanoTime() + length.toNanos();
        long nextScrape = System.nanoTime();
        long n = 0;
        boolean alpn = false;
        // per protocol, the creation time of the session its next resumption offers (the first made here)
        long[] offered = new long[PROTOCOLS.size()];
        for (int p = 0; p < PROTOCOLS.size(); p++) {
            offered[p] = get(tls, server, PROTOCOLS.get(p), false, "train-resume-" + p).sessionCreated();
        }
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            while (System.nanoTime() < end) {
                alpn = !alpn; // clients with ALPN (http/1.1) and without: both pipeline paths
                for (int p = 0; p < PROTOCOLS.size(); p++) {
                    // JSSE caches a client session per (host, port): a name of its own makes a full handshake,
                    // the protocol's fixed name offers the session its previous connection got.
                    if (get(tls, server, PROTOCOLS.get(p), alpn, "train-full-" + (n++)).serverResumed()) {
                        counts.unexpected++;
                    }
                    counts.full[p]++; // each full handshake is followed by one resumption offer
                    Reply r = get(tls, server, PROTOCOLS.get(p), alpn, "train-resume-" + p);
                    // the client's view: JSSE keeps a resumed session's creation time, a full handshake makes a new one
                    boolean clientResumed = r.sessionCreated() == offered[p];
                    if (clientResumed && r.serverResumed()) {
                        counts.resumed[p]++;
                    } else if (clientResumed != r.serverResumed()) {
                        counts.disagreed++;
                    }
                    offered[p] = r.sessionCreated();
                }
                if (System.nanoTime() >= nextScrape) {
                    http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    counts.scrapes++;
                    nextScrape = System.nanoTime() + 1_000_000_000L;
                }
            }
        }
        return counts;
    }

    /** What one connection showed: whether the server's page says it resumed, and the client's session. */
    private record Reply(boolean serverResumed, long sessionCreated) {
    }

    /** One connection with one request. */
    private static Reply get(SSLContext tls, InetSocketAddress server, String protocol, boolean alpn, String cacheName)
            throws IOException {
        try (Socket tcp = new Socket()) {
            tcp.connect(server, 5_000);
            tcp.setSoTimeout(5_000);
            tcp.setTcpNoDelay(true);
            try (SSLSocket socket = (SSLSocket) tls.getSocketFactory()
                    .createSocket(tcp, cacheName, server.getPort(), true)) {
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setProtocols(new String[] {protocol});
                parameters.setServerNames(List.of(new SNIHostName("localhost")));
                if (alpn) {
                    parameters.setApplicationProtocols(new String[] {"http/1.1"});
                }
                socket.setSSLParameters(parameters);
                OutputStream o = socket.getOutputStream();
                o.write(REQUEST);
                o.flush();
                InputStream in = socket.getInputStream();
                String body = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                return new Reply(body.contains("resumed: yes"), socket.getSession().getCreationTime());
            }
        }
    }

    private static final class Counts {
        final long[] full = new long[PROTOCOLS.size()];
        final long[] resumed = new long[PROTOCOLS.size()];
        long unexpected;
        long disagreed;
        long scrapes;

        boolean resumedEveryProtocol() {
            for (long r : resumed) {
                if (r == 0) {
                    return false;
                }
            }
            return true;
        }

        String summary(int seconds) {
            StringBuilder s = new StringBuilder("trained for ").append(seconds).append(" s:");
            for (int p = 0; p < PROTOCOLS.size(); p++) {
                s.append(' ').append(PROTOCOLS.get(p)).append(" full ").append(full[p])
                        .append(", resumed ").append(resumed[p]).append(" of ").append(full[p]).append(';');
            }
            s.append(" metrics scrapes ").append(scrapes);
            if (unexpected > 0) {
                s.append("; ").append(unexpected).append(" full-handshake connections resumed");
            }
            if (disagreed > 0) {
                s.append("; ").append(disagreed).append(" connections where client and server disagreed on resumption");
            }
            return s.toString();
        }
    }

    /** A client context that trusts the certificate this run generated, and nothing else. */
    private static SSLContext trusting(Path certificateFile) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certificateFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("c" + (i++), c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return tls;
    }
}
