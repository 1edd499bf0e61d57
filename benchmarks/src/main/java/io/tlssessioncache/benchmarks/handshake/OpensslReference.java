package io.tlssessioncache.benchmarks.handshake;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenSSL alone, for reference: {@code openssl s_server -www} against {@code openssl s_time -new} and
 * {@code -reuse}, one client, same certificate, same machine and run. Its resumed/full ratio is what
 * the library itself gives with no Java, Netty or store around it.
 */
final class OpensslReference {

    record Ratio(String protocol, long newConnections, long reusedConnections) {
        double ratio() {
            return newConnections == 0 ? Double.NaN : (double) reusedConnections / newConnections;
        }
    }

    private static final Pattern COUNT = Pattern.compile("(\\d+) connections in \\S+ real seconds");

    private OpensslReference() {
    }

    static Ratio measure(Certificates.Pair cert, String protocol, int seconds) throws IOException, InterruptedException {
        String flag = protocol.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2";
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                cert.certificate().toString(), "-key", cert.key().toString(), "-www", "-quiet", flag)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            awaitListening(port);
            long fresh = sTime(port, "-new", flag, seconds);
            long reused = sTime(port, "-reuse", flag, seconds);
            return new Ratio(protocol, fresh, reused);
        } finally {
            server.destroy();
            if (!server.waitFor(5, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static void awaitListening(int port) throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IOException("openssl s_server did not start");
    }

    private static long sTime(int port, String mode, String flag, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("openssl", "s_time", "-connect", "127.0.0.1:" + port, mode, flag,
                "-time", String.valueOf(seconds), "-www", "/").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("openssl s_time did not finish");
        }
        Matcher m = COUNT.matcher(out);
        long count = -1;
        while (m.find()) {
            count = Long.parseLong(m.group(1)); // the last one: the summary line
        }
        if (count < 0) {
            throw new IOException("cannot read s_time's output");
        }
        return count;
    }
}
