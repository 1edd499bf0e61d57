package io.tlssessioncache.redis;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * The {@code containers} {@link RedisBackend}: every Redis node is a Testcontainers
 * {@link GenericContainer} of one image, running {@code redis-server} with exactly the arguments a
 * local process would get.
 *
 * <p><b>Host network.</b> The containers use the host's network namespace, with {@code --bind
 * 127.0.0.1} as the processes do. Redis tells its peers and clients the address a node
 * <em>announces</em>: a cluster node gossips its address to the other nodes (which connect to it on
 * the bus port, port + 10000), {@code CLUSTER SLOTS} hands it to Lettuce, and a sentinel hands out
 * the master address it monitors. With one network namespace per container, no single address is
 * right for both sides: the container's bridge address is not what a test on the host uses
 * (127.0.0.1:port), and {@code --cluster-announce-ip 127.0.0.1} with the published port equal to
 * the container port is right for the host but points every other node at itself, so the cluster
 * bus never forms and a sentinel monitors its own loopback. On the host's network every party
 * reaches every node at 127.0.0.1:port, the free-port probe on the host is valid for the
 * containers, and a node can be killed and started again on the same port (the container is kept,
 * not recreated). Nothing listens beyond loopback.
 *
 * <p><b>Files.</b> The node's directory (configuration, {@code nodes.conf}, TLS certificates,
 * the sentinel's rewritable configuration) is bind-mounted at the same path and the container runs
 * as the directory's owner, so the paths in the arguments mean the same thing inside and the test
 * can delete what Redis wrote. The container's output is written to {@code server.log} there when
 * the node is closed. {@code redis-cli} runs inside a node container ({@code docker exec}), so the
 * host needs no Redis installation.
 *
 * <p><b>Cleanup.</b> Ryuk (Testcontainers' reaper) needs its own image, which a machine without a
 * registry does not have: run with {@code TESTCONTAINERS_RYUK_DISABLED=true}. Every container is
 * then removed by {@link RedisServer#close()}, and by this class's shutdown hook for whatever a test
 * left; they carry the label {@value #LABEL}{@code =redis}, so a script can remove those of a killed
 * JVM ({@code docker rm -f $(docker ps -aq --filter label=io.tlssessioncache.test=redis)}).
 */
final class RedisContainers extends RedisBackend {
    static final String LABEL = "io.tlssessioncache.test";

    private final DockerImageName image;
    private final String why;
    private final boolean forced;
    private final Set<ContainerNode> live = ConcurrentHashMap.newKeySet();

    private RedisContainers(DockerImageName image, String why, boolean forced) {
        this.image = image;
        this.why = why;
        this.forced = forced;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(live).forEach(ContainerNode::close),
                "redis-test-container-reaper"));
    }

    static RedisContainers create(String image, String why, boolean forced) {
        return new RedisContainers(DockerImageName.parse(image), why, forced);
    }

    /**
     * Why {@code auto} should not use containers ({@code null}: it should). Quick when no engine is
     * configured at all: Testcontainers is asked only when a Docker endpoint exists.
     */
    static String whyNot(String image) {
        if (!engineConfigured()) {
            return "no Docker engine (DOCKER_HOST unset, no docker.sock)";
        }
        DockerClient client;
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return "no Docker engine answers";
            }
            client = DockerClientFactory.instance().client();
        } catch (RuntimeException e) {
            return "the Docker engine did not pass Testcontainers' probe (" + probeHint(e) + ")";
        }
        if (!hasImage(client, image)) {
            return "a Docker engine answers but does not hold the image " + image
                    + " (scripts/test-compose images builds it; with a registry: docker pull " + image + ")";
        }
        if (!ryukDisabled() && client.listImagesCmd().withReferenceFilter("testcontainers/ryuk").exec().isEmpty()) {
            return "a Docker engine answers but Ryuk is on and its image is absent (set TESTCONTAINERS_RYUK_DISABLED=true)";
        }
        return null;
    }

    /**
     * Testcontainers works out the engine's address at its first call; inside a container (a
     * {@code /.dockerenv} file) it asks for the {@code bridge} network, which an engine started with
     * {@code --bridge=none} (as scripts/test-compose starts it) does not have.
     */
    private static String probeHint(RuntimeException e) {
        String msg = String.valueOf(e.getMessage()).strip();
        return msg.contains("network bridge not found")
                ? "the engine has no 'bridge' network: set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"
                : msg;
    }

    private static boolean engineConfigured() {
        String host = System.getenv("DOCKER_HOST");
        if (host != null && !host.isBlank()) {
            return true;
        }
        String home = System.getProperty("user.home");
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/var/run/docker.sock"),
                Path.of(home, ".docker", "run", "docker.sock"), Path.of(home, ".testcontainers.properties")));
        if (runtime != null) {
            candidates.add(Path.of(runtime, "docker.sock"));
        }
        return candidates.stream().anyMatch(Files::exists);
    }

    private static boolean hasImage(DockerClient client, String image) {
        try {
            client.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static boolean ryukDisabled() {
        return Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"));
    }

    @Override
    String name() {
        return "containers";
    }

    @Override
    String description() {
        String engine;
        try {
            engine = DockerClientFactory.instance().getTransportConfig().getDockerHost().toString();
        } catch (RuntimeException e) {
            engine = "unreachable";
        }
        return "containers (Testcontainers, image " + image.asCanonicalNameString() + ", engine " + engine
                + ", host network, Ryuk " + (ryukDisabled() ? "off" : "on") + "; " + why + ")";
    }

    @Override
    void require() {
        String problem;
        try {
            problem = DockerClientFactory.instance().isDockerAvailable() ? null : "no Docker engine answers";
        } catch (RuntimeException e) {
            problem = probeHint(e);
        }
        if (problem != null) {
            String msg = "Redis in containers, but " + problem + " (DOCKER_HOST=" + System.getenv("DOCKER_HOST") + ")";
            if (forced) {
                throw new IllegalStateException(msg);
            }
            skipOrFail(msg);
        }
    }

    @Override
    Node start(String name, Path dir, List<String> args) {
        String owner;
        try {
            owner = Files.getAttribute(dir, "unix:uid") + ":" + Files.getAttribute(dir, "unix:gid");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the owner of " + dir, e);
        }
        @SuppressWarnings("resource") // closed by ContainerNode.close
        GenericContainer<?> c = new GenericContainer<>(image)
                .withNetworkMode("host")
                .withWorkingDirectory(dir.toString())
                .withLabel(LABEL, "redis")
                .withLabel(LABEL + ".node", name)
                // The bind is set here rather than with withFileSystemBind, whose first use runs a
                // probe container of another image (alpine), which a machine without a registry lacks.
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withEntrypoint("redis-server").withUser(owner);
                    cmd.getHostConfig().withBinds(new Bind(dir.toString(), new Volume(dir.toString()), AccessMode.rw));
                })
                .withCommand(args.toArray(String[]::new))
                .waitingFor(new AbstractWaitStrategy() {
                    @Override
                    protected void waitUntilReady() {
                        // RedisServer pings the node itself (the same way for both backends)
                    }
                })
                .withStartupTimeout(Duration.ofSeconds(60));
        c.start();
        ContainerNode n = new ContainerNode(c, dir, name);
        live.add(n);
        return n;
    }

    @Override
    String cli(int port, List<String> args) {
        // Any running node's container can reach every node: they share the host's loopback.
        ContainerNode in = live.stream().filter(ContainerNode::answers).findFirst()
                .orElseThrow(() -> new IllegalStateException("no running Redis container to run redis-cli in"));
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(args);
        return in.exec(cmd);
    }

    private final class ContainerNode implements Node {
        private final GenericContainer<?> container;
        private final Path dir;
        private final String name;
        private volatile boolean paused;

        ContainerNode(GenericContainer<?> container, Path dir, String name) {
            this.container = container;
            this.dir = dir;
            this.name = name;
        }

        private DockerClient client() {
            return container.getDockerClient();
        }

        private String id() {
            return container.getContainerId();
        }

        @Override
        public boolean alive() {
            try {
                InspectContainerResponse.ContainerState s = client().inspectContainerCmd(id()).exec().getState();
                return Boolean.TRUE.equals(s.getRunning());
            } catch (NotFoundException e) {
                return false;
            }
        }

        /** Running and not frozen: docker exec works in it. */
        boolean answers() {
            return !paused && alive();
        }

        @Override
        public void kill() {
            if (alive()) {
                client().killContainerCmd(id()).exec(); // SIGKILL
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (alive()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": container still running 10 s after SIGKILL");
                }
                RedisServer.sleep(20);
            }
            paused = false;
        }

        @Override
        public void startAgain() {
            client().startContainerCmd(id()).exec();
        }

        @Override
        public void pause() {
            client().pauseContainerCmd(id()).exec();
            paused = true;
        }

        @Override
        public void resume() {
            client().unpauseContainerCmd(id()).exec();
            paused = false;
        }

        @Override
        public void close() {
            if (!live.remove(this)) {
                return;
            }
            try {
                Files.writeString(dir.resolve("server.log"), container.getLogs(), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException ignored) {
                // the log is a convenience
            }
            try {
                container.stop(); // kills and removes the container
            } catch (RuntimeException ignored) {
                // already gone
            }
        }

        @Override
        public String diagnostics() {
            try {
                String logs = container.getLogs();
                return "container output:\n" + logs.substring(Math.max(0, logs.length() - 2000));
            } catch (RuntimeException e) {
                return "no container output (" + e.getMessage() + ")";
            }
        }

        String exec(List<String> cmd) {
            ExecCreateCmdResponse e = client().execCreateCmd(id()).withCmd(cmd.toArray(String[]::new))
                    .withAttachStdout(true).withAttachStderr(true).exec();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ResultCallback.Adapter<Frame> cb = client().execStartCmd(e.getId())
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            out.writeBytes(frame.getPayload());
                        }
                    })) {
                if (!cb.awaitCompletion(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("redis-cli timed out in " + name + ": " + cmd);
                }
            } catch (IOException ex) {
                throw new IllegalStateException(ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
            Long exit = client().inspectExecCmd(e.getId()).exec().getExitCodeLong();
            return checkedOutput(cmd, exit == null ? -1 : exit.intValue(), out.toString(StandardCharsets.UTF_8));
        }
    }
}
