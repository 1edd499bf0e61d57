package io.tlssessioncache.benchmarks.handshake;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Server (ECDSA P-256, RSA 2048) and client certificates made with the {@code openssl} CLI in a temporary directory. */
final class Certificates implements AutoCloseable {

    /** A PEM certificate and its unencrypted PKCS#8 PEM key. */
    record Pair(String label, Path certificate, Path key) {
    }

    final Path dir;
    final Pair ecdsa;
    final Pair rsa;
    final Pair client;

    private Certificates(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        this.ecdsa = make("ECDSA P-256", "server-ec", List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"), "localhost");
        this.rsa = make("RSA 2048", "server-rsa", List.of("-newkey", "rsa:2048"), "localhost");
        this.client = make("client ECDSA P-256", "client", List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"), "bench-client");
    }

    static Certificates generate() throws IOException, InterruptedException {
        return new Certificates(Files.createTempDirectory("tls-bench-certs"));
    }

    private Pair make(String label, String name, List<String> keyArgs, String cn) throws IOException, InterruptedException {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + "-key.pem");
        List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                "-addext", "subjectAltName=DNS:" + cn, "-keyout", key.toString(), "-out", cert.toString()));
        cmd.addAll(3, keyArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl req failed for " + label + ": " + String.join(" ", cmd));
        }
        return new Pair(label, cert, key);
    }

    @Override
    public void close() {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
