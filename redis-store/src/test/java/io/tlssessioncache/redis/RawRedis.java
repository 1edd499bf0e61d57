package io.tlssessioncache.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A plain Lettuce connection (standalone or cluster) to look at or tamper with what the store wrote. */
public final class RawRedis implements AutoCloseable {
    private final AutoCloseable connection;
    private final Runnable shutdown;
    private final RedisClusterCommands<byte[], byte[]> commands;

    private RawRedis(AutoCloseable connection, Runnable shutdown, RedisClusterCommands<byte[], byte[]> commands) {
        this.connection = connection;
        this.shutdown = shutdown;
        this.commands = commands;
    }

    /** Connects to a URI in {@link RedisSessionStores}' forms. */
    public static RawRedis connect(String uri) {
        RedisUris.Target t = RedisUris.parse(uri);
        if (t.cluster()) {
            RedisClusterClient c = RedisClusterClient.create(t.uris());
            StatefulRedisClusterConnection<byte[], byte[]> conn = c.connect(ByteArrayCodec.INSTANCE);
            return new RawRedis(conn, () -> c.shutdown(0, 2, TimeUnit.SECONDS), conn.sync());
        }
        RedisURI u = t.uris().getFirst();
        RedisClient c = RedisClient.create(u);
        StatefulRedisConnection<byte[], byte[]> conn = c.connect(ByteArrayCodec.INSTANCE);
        return new RawRedis(conn, () -> c.shutdown(0, 2, TimeUnit.SECONDS), conn.sync());
    }

    public RedisClusterCommands<byte[], byte[]> commands() {
        return commands;
    }

    public byte[] get(byte[] key) {
        return commands.get(key);
    }

    public void set(byte[] key, byte[] value) {
        commands.set(key, value);
    }

    public void set(String key, byte[] value) {
        commands.set(bytes(key), value);
    }

    public long pttl(byte[] key) {
        return commands.pttl(key);
    }

    public boolean exists(byte[] key) {
        return commands.exists(key) > 0;
    }

    /** {@code MEMORY USAGE key SAMPLES 0}: what Redis holds for it, bytes. */
    public long memoryUsage(byte[] key) {
        return commands.memoryUsage(key);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        connection.close();
        shutdown.run();
    }
}
