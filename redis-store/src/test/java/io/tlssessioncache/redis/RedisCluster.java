package io.tlssessioncache.redis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A 3-master + 3-replica Redis Cluster on loopback (about 3 s to start), for tests.
 * Node timeout is 2 s, so a killed master is replaced by its replica within a few seconds.
 */
public final class RedisCluster implements AutoCloseable {
    private final List<RedisServer> nodes;

    private RedisCluster(List<RedisServer> nodes) {
        this.nodes = nodes;
    }

    /** Starts six nodes under {@code dir}, joins them with {@code redis-cli --cluster create}, waits for {@code cluster_state:ok}. */
    public static RedisCluster start(Path dir) {
        List<RedisServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                int port = RedisServer.freePort(true);
                Path nodesConf = dir.resolve("redis-" + port).resolve("nodes.conf");
                nodes.add(RedisServer.start(dir, port,
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", nodesConf.toString(),
                        "--cluster-node-timeout", "2000"));
            }
            List<String> args = new ArrayList<>(List.of("--cluster", "create"));
            for (RedisServer n : nodes) {
                args.add("127.0.0.1:" + n.port());
            }
            args.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            RedisServers.cli(nodes.get(0).port(), args.toArray(String[]::new));
            RedisCluster c = new RedisCluster(nodes);
            c.awaitOk(Duration.ofSeconds(20));
            return c;
        } catch (RuntimeException | Error e) {
            nodes.forEach(RedisServer::close);
            throw e;
        }
    }

    /** Seed URI in the store's own form: {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,...}. */
    public String uri() {
        return "redis-cluster://" + nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /** The running nodes that are masters now (from {@code CLUSTER NODES} of a live node). */
    public List<RedisServer> masters() {
        String out = anyLive().cli("cluster", "nodes");
        List<RedisServer> masters = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 3 || !f[2].contains("master") || f[2].contains("fail")) {
                continue;
            }
            int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1, f[1].indexOf('@')));
            nodes.stream().filter(n -> n.port() == port && n.isRunning()).forEach(masters::add);
        }
        return masters;
    }

    /** The master that serves {@code key}'s slot now (the slot computed as Redis does, by Lettuce). */
    public RedisServer masterFor(byte[] key) {
        int s = io.lettuce.core.cluster.SlotHash.getSlot(key);
        String out = anyLive().cli("cluster", "nodes");
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
                continue;
            }
            for (int i = 8; i < f.length; i++) {
                String[] range = f[i].split("-");
                if (range[0].startsWith("[")) {
                    continue;
                }
                int lo = Integer.parseInt(range[0]);
                int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
                if (s >= lo && s <= hi) {
                    int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1, f[1].indexOf('@')));
                    return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
                }
            }
        }
        throw new IllegalStateException("no master for slot " + s);
    }

    /** Waits until every running node reports {@code cluster_state:ok} with all slots ok. */
    public void awaitOk(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            boolean ok = true;
            for (RedisServer n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                String info = n.cli("cluster", "info");
                if (!info.contains("cluster_state:ok") || !info.contains("cluster_slots_ok:16384")) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cluster not ok within " + max);
            }
            RedisServer.sleep(100);
        }
    }

    private RedisServer anyLive() {
        return nodes.stream().filter(RedisServer::isRunning).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        nodes.forEach(RedisServer::close);
    }
}
