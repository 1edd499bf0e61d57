package io.tlssessioncache.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.resource.ClientResources;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The admin tools' connection to a standalone/Sentinel Redis or a cluster, and the masters a sweep
 * must SCAN. Short timeouts and no reconnect for a standalone server: an operator wants
 * "unreachable" within seconds, not a hang. Every command goes through {@link #call} or
 * {@link #await}, which turn Lettuce's exceptions into {@link AdminException}s.
 */
final class AdminConnection implements AutoCloseable {
    private final String uri; // redacted
    private final AdminOptions options;
    private final RedisClusterCommands<byte[], byte[]> sync;
    private final RedisClusterAsyncCommands<byte[], byte[]> async;
    private final Supplier<List<RedisClusterCommands<byte[], byte[]>>> masters;
    private final Runnable closer;

    private AdminConnection(String uri, AdminOptions options, RedisClusterCommands<byte[], byte[]> sync,
            RedisClusterAsyncCommands<byte[], byte[]> async, Supplier<List<RedisClusterCommands<byte[], byte[]>>> masters,
            Runnable closer) {
        this.uri = uri;
        this.options = options;
        this.sync = sync;
        this.async = async;
        this.masters = masters;
        this.closer = closer;
    }

    /**
     * Connects (within the connect timeout) and checks with a {@code PING} that Redis answers.
     *
     * @throws IllegalArgumentException for a URI of an unsupported form
     * @throws AdminException           when Redis cannot be reached or refuses the login
     */
    static AdminConnection open(String uri, AdminOptions options) {
        RedisUris.Target target = RedisUris.parse(uri);
        String shown = RedisUris.redact(uri);
        target.uris().forEach(u -> u.setTimeout(options.commandTimeout()));
        AdminConnection c;
        try {
            c = target.cluster() ? cluster(shown, target, options) : standalone(shown, target, options);
        } catch (RuntimeException e) {
            AdminException a = AdminErrors.translate("connect to Redis at " + shown, e);
            if (a.kind() == AdminException.Kind.UNREACHABLE && closedInHandshake(e) && answersPing(target)) {
                // Lettuce reports a refused HELLO/AUTH as a closed connection when the close wins the
                // race with the error reply; Redis answering a bare PING tells the two apart.
                throw new AdminException(AdminException.Kind.DENIED, "cannot connect to Redis at " + shown
                        + ": Redis refused the login: check the user and password in the URI", e);
            }
            throw a;
        }
        try {
            c.call("PING", () -> c.sync.ping());
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The URI, redacted. */
    String uri() {
        return uri;
    }

    RedisClusterCommands<byte[], byte[]> sync() {
        return sync;
    }

    /** Through the cluster router when clustered: keys of one batch may lie on different masters. */
    RedisClusterAsyncCommands<byte[], byte[]> async() {
        return async;
    }

    /** Every master with slots, from a fresh view of the topology (a sweep must not miss a shard). */
    List<RedisClusterCommands<byte[], byte[]>> masters() {
        return masters.get();
    }

    /** Runs a blocking command; Lettuce's failure becomes an {@link AdminException}. */
    <T> T call(String what, Supplier<T> command) {
        try {
            return command.get();
        } catch (RuntimeException e) {
            throw AdminErrors.translate(what + " on " + uri, e);
        }
    }

    /** Waits (bounded by the command timeout) for an asynchronous command. */
    <T> T await(String what, CompletionStage<T> f) {
        try {
            return f.toCompletableFuture().get(options.commandTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(AdminException.Kind.FAILED, what + " interrupted", e);
        } catch (ExecutionException e) {
            throw AdminErrors.translate(what + " on " + uri, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw AdminErrors.translate(what + " on " + uri, e);
        }
    }

    @Override
    public void close() {
        closer.run();
    }

    private static boolean closedInHandshake(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("closed prematurely")) {
                return true;
            }
        }
        return false;
    }

    /** Whether a plain (non-TLS) Redis at the first address answers an unauthenticated PING within a second. */
    private static boolean answersPing(RedisUris.Target target) {
        io.lettuce.core.RedisURI u = target.uris().getFirst();
        if (u.isSsl() || u.getHost() == null) {
            return false;
        }
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(u.getHost(), u.getPort()), 1000);
            s.setSoTimeout(1000);
            s.getOutputStream().write("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] reply = s.getInputStream().readNBytes(7);
            String r = new String(reply, java.nio.charset.StandardCharsets.US_ASCII);
            return r.startsWith("+PONG") || r.startsWith("-NOAUTH");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static ClientResources resources() {
        return ClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    }

    private static AdminConnection standalone(String shown, RedisUris.Target target, AdminOptions o) {
        ClientResources resources = resources();
        RedisClient client = RedisClient.create(resources);
        try {
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(false) // an operator command fails clearly rather than waiting
                    .timeoutOptions(TimeoutOptions.enabled(o.commandTimeout()))
                    .socketOptions(SocketOptions.builder().connectTimeout(o.connectTimeout()).build())
                    .build());
            StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE,
                    target.uris().getFirst());
            conn.setTimeout(o.commandTimeout());
            List<RedisClusterCommands<byte[], byte[]>> one = List.of(conn.sync());
            return new AdminConnection(shown, o, conn.sync(), conn.async(), () -> one,
                    () -> shutdown(conn, client, resources));
        } catch (RuntimeException e) {
            shutdown(null, client, resources);
            throw e;
        }
    }

    private static AdminConnection cluster(String shown, RedisUris.Target target, AdminOptions o) {
        ClientResources resources = resources();
        RedisClusterClient client = RedisClusterClient.create(resources, target.uris());
        try {
            client.setOptions(ClusterClientOptions.builder()
                    // Node connections open lazily; queue commands while one connects (bounded by
                    // the command timeout) instead of rejecting them.
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(o.commandTimeout()))
                    .socketOptions(SocketOptions.builder().connectTimeout(o.connectTimeout()).build())
                    .build());
            StatefulRedisClusterConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE);
            conn.setTimeout(o.commandTimeout());
            // Open the routed (write) connection to every master now, so "unreachable" shows at connect.
            List<CompletableFuture<?>> warm = new ArrayList<>();
            for (RedisClusterNode n : conn.getPartitions()) {
                if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL)) {
                    warm.add(conn.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort(), ConnectionIntent.WRITE));
                }
            }
            try {
                CompletableFuture.allOf(warm.toArray(CompletableFuture[]::new))
                        .get(o.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                throw new RedisConnectionException("cannot connect to every cluster master", e);
            }
            Supplier<List<RedisClusterCommands<byte[], byte[]>>> masters = () -> {
                client.refreshPartitions();
                List<RedisClusterCommands<byte[], byte[]>> out = new ArrayList<>();
                for (RedisClusterNode node : conn.getPartitions()) {
                    if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.is(RedisClusterNode.NodeFlag.FAIL)
                            && !node.getSlots().isEmpty()) {
                        out.add(conn.getConnection(node.getNodeId()).sync());
                    }
                }
                if (out.isEmpty()) {
                    throw new AdminException(AdminException.Kind.UNREACHABLE, "no Redis cluster master is reachable", null);
                }
                return out;
            };
            return new AdminConnection(shown, o, conn.sync(), conn.async(), masters,
                    () -> shutdown(conn, client, resources));
        } catch (RuntimeException e) {
            shutdown(null, client, resources);
            throw e;
        }
    }

    private static void shutdown(AutoCloseable conn, AbstractRedisClient client, ClientResources resources) {
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (Exception ignored) {
            // closing anyway
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
