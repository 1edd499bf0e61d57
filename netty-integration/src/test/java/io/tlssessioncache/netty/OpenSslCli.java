package io.tlssessioncache.netty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: the {@code openssl} command line (certificates, s_client, s_server), every process bounded and
 * killed. Public (in the test-jar) for what the other modules' tests need too: a certificate, s_client's verdict.
 */
public final class OpenSslCli {
    private OpenSslCli() {
    }

    /** A self-signed P-256 certificate for {@code cn} (also as subjectAltName): {cert.pem, key.pem} in {@code dir}. */
    public static Path[] selfSigned(Path dir, String cn) throws Exception {
        Path cert = dir.resolve(cn + "-cert.pem");
        Path key = dir.resolve(cn + "-key.pem");
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn, "-days", "2",
                "-keyout", key.toString(), "-out", cert.toString()), 20);
        return new Path[] {cert, key};
    }

    static String run(List<String> cmd, int timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(cmd.get(1) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Outcome of one s_client run. */
    public record Client(String output) {
        /** "Reused" or "New" (from s_client's "Reused, TLSv1.3" / "New, TLSv1.3, Cipher is" line), else null. */
        public String resumption() {
            for (String line : output.split("\n")) {
                if (line.startsWith("Reused, ")) {
                    return "Reused";
                }
                if (line.startsWith("New, ")) {
                    return "New";
                }
            }
            return null;
        }

        boolean reused() {
            return "Reused".equals(resumption());
        }

        /** The subject line of the server certificate, e.g. "subject=CN = a.test". */
        String subject() {
            for (String line : output.split("\n")) {
                if (line.startsWith("subject=")) {
                    return line.trim();
                }
            }
            return null;
        }

        /** Whether the echo of {@code line} came back, i.e. application data went both ways. */
        boolean echoed() {
            return output.contains("ping-") || output.contains("-gnip");
        }
    }

    /**
     * Runs {@code openssl s_client} against an echo server on 127.0.0.1:port: handshake, send one line,
     * wait for it to come back (by then the server's tickets have arrived and -sess_out is written),
     * then close stdin.
     */
    static Client sClient(int port, List<String> extra, long timeoutMillis) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String marker = "ping-" + Long.toHexString(System.nanoTime());
            String reversed = new StringBuilder(marker).reverse().toString();
            OutputStream stdin = p.getOutputStream();
            stdin.write((marker + "\n").getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = p.getInputStream();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            byte[] buf = new byte[8192];
            boolean closed = false;
            while (System.nanoTime() < deadline) {
                if (in.available() > 0) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    out.write(buf, 0, n);
                    String s = out.toString(StandardCharsets.UTF_8);
                    // s_client does not print its stdin: the marker in its output is the server's echo
                    // (s_server -rev sends it back reversed)
                    if (!closed && (s.contains(marker) || s.contains(reversed))) {
                        stdin.close();
                        closed = true;
                    }
                } else if (!p.isAlive()) {
                    byte[] rest = in.readAllBytes();
                    out.write(rest, 0, rest.length);
                    break;
                } else {
                    Thread.sleep(5);
                }
            }
            return new Client(out.toString(StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** The first flight s_client sends (a ClientHello in one or more records), caught by a plain socket. */
    static byte[] captureFirstFlight(List<String> extra) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                    "127.0.0.1:" + server.getLocalPort()));
            cmd.addAll(extra);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (Socket s = server.accept()) {
                s.setSoTimeout(5_000);
                InputStream in = s.getInputStream();
                ByteArrayOutputStream flight = new ByteArrayOutputStream();
                byte[] buf = new byte[4096];
                while (ClientHelloBytes.bodyOfRecords(flight.toByteArray()) == null) {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("s_client closed before a whole ClientHello");
                    }
                    flight.write(buf, 0, n);
                }
                return flight.toByteArray();
            } finally {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A free port on 127.0.0.1 (for processes that cannot report the port they bound). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code openssl s_server -rev} (echoes lines reversed) with stateful sessions; the caller destroys it. */
    static Process sServer(int port, Path cert, Path key, List<String> extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                "-cert", cert.toString(), "-key", key.toString(), "-rev"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        InputStream in = p.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && !out.toString(StandardCharsets.UTF_8).contains("ACCEPT")) {
            if (in.available() > 0) {
                out.write(in.read());
            } else if (!p.isAlive()) {
                throw new IOException("s_server exited: " + out.toString(StandardCharsets.UTF_8));
            } else {
                Thread.sleep(5);
            }
        }
        // keep draining so s_server never blocks on a full pipe
        Thread.ofVirtual().start(() -> {
            try {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // process gone
            }
        });
        return p;
    }

    static boolean isFile(Path p) {
        try {
            return Files.size(p) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
