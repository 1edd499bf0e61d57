package io.tlssessioncache.netty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a child process with bounded time; the process never outlives the call. Public (in the test-jar)
 * for the other modules' tests, so that every test runs its processes one way.
 */
public final class Processes {
    private Processes() {
    }

    public record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code cmd}, writes {@code stdin} (then keeps stdin open for {@code stdinHold} before closing it),
     * and returns exit code and combined output. Killed after {@code timeout}.
     */
    public static Result run(List<String> cmd, Path dir, String stdin, Duration timeout) throws IOException, InterruptedException {
        return run(cmd, dir, stdin, Duration.ZERO, timeout);
    }

    public static Result run(List<String> cmd, Path dir, String stdin, Duration stdinHold, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // process ended
                }
            });
            try (OutputStream os = p.getOutputStream()) {
                os.write(stdin.getBytes(StandardCharsets.UTF_8));
                os.flush();
                if (!stdinHold.isZero()) {
                    p.waitFor(stdinHold.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (IOException ignored) {
                // the process may have exited already
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                reader.join(2000);
                return new Result(-1, out.toString(StandardCharsets.UTF_8) + "\n[killed after timeout]");
            }
            reader.join(5000);
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
