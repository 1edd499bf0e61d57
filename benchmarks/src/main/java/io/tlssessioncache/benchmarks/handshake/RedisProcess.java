package io.tlssessioncache.benchmarks.handshake;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A throw-away {@code redis-server} on a free loopback port, persistence off, killed by {@link #close} (or at JVM exit). */
final class RedisProcess implements AutoCloseable {
    final int port;
    private final Process process;
    private final Thread hook;

    private RedisProcess(int port, Process process) {
        this.port = port;
        this.process = process;
        this.hook = new Thread(process::destroyForcibly, "redis-killer");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static RedisProcess start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        RedisProcess redis = new RedisProcess(port, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                redis.close();
                throw new IOException("redis-server exited with " + p.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                if ("+PONG".equals(line)) {
                    return redis;
                }
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        redis.close();
        throw new IOException("redis-server did not answer PING within 10 s");
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    String version() {
        try {
            Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            int i = v.indexOf("v=");
            return i >= 0 ? v.substring(i + 2, v.indexOf(' ', i) > 0 ? v.indexOf(' ', i) : v.length()) : v;
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }
}
