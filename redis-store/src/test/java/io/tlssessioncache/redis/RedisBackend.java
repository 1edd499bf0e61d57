package io.tlssessioncache.redis;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the test fixtures run Redis: the one place that decides, for the whole test JVM.
 *
 * <ul>
 *   <li>{@code processes}: {@code redis-server} from the PATH, one local process per node;</li>
 *   <li>{@code containers}: one Testcontainers {@code GenericContainer} per node, of the image
 *       {@code -Dredis.test.image} / {@code REDIS_TEST_IMAGE} (default {@value #DEFAULT_IMAGE}; on a
 *       machine without a registry, the one {@code scripts/test-compose images} builds), on the
 *       host's network ({@link RedisContainers} says why).</li>
 * </ul>
 *
 * Both run the same {@code redis-server} arguments in the same node directory on 127.0.0.1, so a
 * test cannot tell them apart except by its speed. The choice: {@code -Dredis.test.backend} or
 * {@code REDIS_TEST_BACKEND} = {@code containers}, {@code processes}, or {@code auto} (the
 * default: containers when a Docker engine answers and already holds the image, processes
 * otherwise). It is printed once per JVM, with the reason, and per test class by {@link RedisServers}.
 */
abstract class RedisBackend {
    static final String DEFAULT_IMAGE = "redis:7.0";

    private static RedisBackend current;

    /** The backend of this JVM, chosen (and printed) on first use. */
    static synchronized RedisBackend get() {
        if (current == null) {
            current = choose();
            System.out.println("[redis-test] Redis test backend: " + current.description());
        }
        return current;
    }

    /** One Redis node (server or sentinel) started by a backend. */
    interface Node {
        boolean alive();

        /** SIGKILL (a crash); returns when the node is gone. It can be started again. */
        void kill();

        /** Starts a killed node again, with the same arguments, port and directory. */
        void startAgain();

        /** Freezes the node: its sockets stay open, nothing answers. */
        void pause();

        void resume();

        /** Kills the node for good and releases what it holds. */
        void close();

        /** Where to look when the node died at start. */
        String diagnostics();
    }

    /** "processes" or "containers". */
    abstract String name();

    /** One line for the test output: what runs Redis, and why this backend was chosen. */
    abstract String description();

    /** Skips the test class (or, with {@code CI} set, fails it) when this backend cannot run Redis. */
    abstract void require();

    /**
     * Starts {@code redis-server ARGS...} (ARGS without the program), working in {@code dir},
     * its output in {@code dir/server.log}.
     */
    abstract Node start(String name, Path dir, List<String> args);

    /** {@code redis-cli -h 127.0.0.1 -p PORT ARGS...}: its standard output; fails on a non-zero exit. */
    abstract String cli(int port, List<String> args);

    private static RedisBackend choose() {
        String wanted = setting("redis.test.backend", "REDIS_TEST_BACKEND", "auto").toLowerCase(Locale.ROOT);
        String image = setting("redis.test.image", "REDIS_TEST_IMAGE", DEFAULT_IMAGE);
        return switch (wanted) {
            case "processes" -> new Processes("asked for (redis.test.backend=processes)");
            case "containers" -> RedisContainers.create(image, "asked for (redis.test.backend=containers)", true);
            case "auto" -> {
                String whyNot = RedisContainers.whyNot(image);
                yield whyNot == null
                        ? RedisContainers.create(image, "auto: a Docker engine answers and holds " + image, false)
                        : new Processes("auto: " + whyNot);
            }
            default -> throw new IllegalStateException("redis.test.backend / REDIS_TEST_BACKEND must be auto, containers or "
                    + "processes, not '" + wanted + "'");
        };
    }

    static String setting(String property, String env, String fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    /** Fails (CI, which must run the Redis tests) or skips the class, with {@code msg}. */
    static void skipOrFail(String msg) {
        if (System.getenv("CI") != null) {
            throw new IllegalStateException(msg + ": CI must run the Redis tests");
        }
        Assumptions.assumeTrue(false, msg + ": skipping Redis tests");
    }

    // ---- local processes --------------------------------------------------------------------------

    static final class Processes extends RedisBackend {
        private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                    "redis-test-process-reaper"));
        }

        private final String why;

        Processes(String why) {
            this.why = why;
        }

        @Override
        String name() {
            return "processes";
        }

        @Override
        String description() {
            String bin = which("redis-server");
            return "processes (" + (bin == null ? "redis-server not on PATH" : bin) + "; " + why + ")";
        }

        @Override
        void require() {
            if (which("redis-server") == null || which("redis-cli") == null) {
                skipOrFail("redis-server/redis-cli not found on PATH (apt-get install redis-server)");
            }
        }

        @Override
        Node start(String name, Path dir, List<String> args) {
            List<String> cmd = new ArrayList<>();
            String bin = which("redis-server");
            cmd.add(bin == null ? "redis-server" : bin);
            cmd.addAll(args);
            ProcessNode n = new ProcessNode(dir, cmd);
            n.startAgain();
            return n;
        }

        @Override
        String cli(int port, List<String> args) {
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
            cmd.addAll(args);
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("redis-cli timed out: " + cmd);
                }
                return checkedOutput(cmd, p.exitValue(), new String(out, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private static final class ProcessNode implements Node {
            private final Path dir;
            private final List<String> command;
            private volatile Process process;

            ProcessNode(Path dir, List<String> command) {
                this.dir = dir;
                this.command = List.copyOf(command);
            }

            @Override
            public boolean alive() {
                Process p = process;
                return p != null && p.isAlive();
            }

            @Override
            public void startAgain() {
                try {
                    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
                            .start();
                    LIVE.add(p);
                    process = p;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot start " + command.get(0), e);
                }
            }

            @Override
            public void kill() {
                Process p = process;
                if (p == null) {
                    return;
                }
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                LIVE.remove(p);
                process = null;
            }

            @Override
            public void pause() {
                signal("-STOP");
            }

            @Override
            public void resume() {
                signal("-CONT");
            }

            private void signal(String sig) {
                try {
                    Process k = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
                    if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
                        throw new IllegalStateException("kill " + sig + " failed");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void close() {
                kill();
            }

            @Override
            public String diagnostics() {
                return "see " + dir.resolve("server.log");
            }
        }
    }

    static String checkedOutput(List<String> cmd, int exit, String out) {
        if (exit != 0) {
            throw new IllegalStateException("redis-cli failed (" + exit + "): " + cmd + "\n" + out);
        }
        return out;
    }

    static String which(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
