package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Real TLS clients run as processes: {@code openssl s_client} and {@code curl}. */
final class Clients {

    /**
     * Runs each task on a thread of its own: readers block for a process's whole life, and the
     * common pool has a single thread on a 2-core machine.
     */
    static final java.util.concurrent.Executor OWN_THREAD = task -> Thread.ofPlatform().daemon().start(task);

    private Clients() {
    }

    /** What s_client said: its session line ("New"/"Reused") and the whole output (with the HTTP response). */
    record SClientResult(String output) {
        boolean reused() {
            return output.lines().anyMatch(l -> l.startsWith("Reused,"));
        }

        boolean isNew() {
            return output.lines().anyMatch(l -> l.startsWith("New,"));
        }

        /** The negotiated protocol from the session line, e.g. TLSv1.3. */
        String protocol() {
            return output.lines().filter(l -> l.startsWith("New,") || l.startsWith("Reused,"))
                    .map(l -> l.substring(l.indexOf(',') + 1).strip().split(",")[0].strip())
                    .findFirst().orElse("none");
        }

        String body() {
            int at = output.indexOf("\r\n\r\n");
            return at < 0 ? "" : output.substring(at + 4);
        }

        @Override
        public String toString() {
            return output;
        }
    }

    /**
     * Connects with s_client, sends {@code GET / HTTP/1.0} and reads until the server closes (which
     * also makes sure TLS 1.3 tickets, sent after the handshake, have arrived before -sess_out).
     */
    static SClientResult sClient(InetSocketAddress server, String protocolFlag, Path sessOut, Path sessIn) {
        return sClient(server, protocolFlag, sessOut, sessIn, List.of());
    }

    /** As above, with extra s_client arguments (e.g. {@code -cert}/{@code -key}). */
    static SClientResult sClient(InetSocketAddress server, String protocolFlag, Path sessOut, Path sessIn,
                                 List<String> extra) {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client",
                "-connect", HostPort.format(server), "-servername", "localhost", protocolFlag, "-ign_eof"));
        command.addAll(extra);
        if (sessOut != null) {
            command.addAll(List.of("-sess_out", sessOut.toString()));
        }
        if (sessIn != null) {
            command.addAll(List.of("-sess_in", sessIn.toString()));
        }
        return new SClientResult(run(command, "GET / HTTP/1.0\r\n\r\n", 20));
    }

    /** curl -k with the given HTTP version flag; the output ends with a line holding %{http_version}. */
    static String curl(InetSocketAddress server, String versionFlag, String path) {
        return run(List.of("curl", "-sS", "-k", versionFlag, "--max-time", "10",
                "-w", "\nhttp_version=%{http_version} status=%{http_code}\n",
                "https://" + HostPort.format(server) + path), null, 20);
    }

    /** As {@link #curl}, with extra curl arguments before the URL. */
    static String curl(InetSocketAddress server, String versionFlag, String path, List<String> extra) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-k", versionFlag, "--max-time", "10",
                "-w", "\nhttp_version=%{http_version} status=%{http_code}\n"));
        command.addAll(extra);
        command.add("https://" + HostPort.format(server) + path);
        return run(command, null, 20);
    }

    /** Runs a process to completion (killed after {@code timeoutSeconds}) and returns stdout+stderr. */
    static String run(List<String> command, String stdin, int timeoutSeconds) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.getFirst(), e);
        }
        try {
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()), OWN_THREAD);
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.US_ASCII));
                }
            }
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                fail(command + " did not finish within " + timeoutSeconds + "s");
            }
            return output.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(command + " failed: " + e, e);
        } finally {
            process.destroyForcibly();
        }
    }

    /** Calls {@code line} with each line of {@code in}, on a daemon thread of its own, until the stream ends. */
    static void eachLine(InputStream in, java.util.function.Consumer<String> line) {
        Thread.ofPlatform().daemon().start(() -> {
            try (java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l; (l = reader.readLine()) != null; ) {
                    line.accept(l);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        });
    }

    /** Everything until end of stream, or until the stream broke (what was read so far). */
    static String readAll(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // Keep what arrived.
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
