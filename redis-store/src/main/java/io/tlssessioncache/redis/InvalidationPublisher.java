package io.tlssessioncache.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publishing half of the invalidation channel ({@link InvalidationSubscriber} is the other),
 * for every process that writes to the store, the admin tools included (which must not
 * {@code SUBSCRIBE}: their ACL user cannot): the one owner of the message format and of the
 * keep-the-later-watermark script.
 *
 * <p>Messages on {@code <prefix>:invalidate}: {@code k } followed by a session's Redis key (binary,
 * {@link KeyLayout}), {@code r <Revocation.encode()>}, {@code a}. Watermarks live in the hash
 * {@code <prefix>:revocations}: field {@code "<SCOPE> <value>"}, value {@code createdBefore} in
 * epoch milliseconds, rounded up.
 *
 * <p>Takes Lettuce's async commands of a standalone, Sentinel or Cluster connection (their common
 * super-interface); every method only sends commands and returns without blocking.
 */
final class InvalidationPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(InvalidationPublisher.class);

    // Keeps the later watermark: a revocation is never lowered by an older or concurrent one.
    private static final String MAX_SCRIPT = """
            local cur = redis.call('HGET', KEYS[1], ARGV[1])
            if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
              redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
              return 1
            end
            return 0
            """;

    private static final byte[] KEY_MESSAGE = {'k', ' '};
    private static final String ALL_MESSAGE = "a";

    private final RedisClusterAsyncCommands<byte[], byte[]> commands;
    private final KeyLayout layout;
    private final byte[] channel;
    private final byte[] revocationsKey;

    /**
     * @param commands async commands of any connection with {@code ByteArrayCodec}
     * @param layout   the store's names
     */
    InvalidationPublisher(RedisClusterAsyncCommands<byte[], byte[]> commands, KeyLayout layout) {
        this.commands = Objects.requireNonNull(commands, "commands");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.channel = utf8(layout.channel());
        this.revocationsKey = utf8(layout.revocationsKey());
    }

    KeyLayout layout() {
        return layout;
    }

    /** Tells every server to drop {@code key} from its near-cache. Completes when Redis accepted it. */
    CompletionStage<Void> publishKey(SessionKey key) {
        byte[] k = layout.key(key);
        byte[] m = Arrays.copyOf(KEY_MESSAGE, KEY_MESSAGE.length + k.length);
        System.arraycopy(k, 0, m, KEY_MESSAGE.length, k.length);
        return publish(m);
    }

    /** Tells every server to drop its whole near-cache (e.g. after an operator deleted entries in bulk). */
    CompletionStage<Void> publishAll() {
        return publish(utf8(ALL_MESSAGE));
    }

    /**
     * Records {@code r} in {@code <prefix>:revocations} (keeping the later watermark per scope and
     * value) and then announces it, so every server applies it at once and every server that starts
     * or reconnects later loads it.
     */
    CompletionStage<Void> publishRevocation(Revocation r) {
        return recordRevocation(r).thenCompose(changed -> announceRevocation(r));
    }

    /**
     * Only the first half of {@link #publishRevocation}: stores the watermark, keeping the later
     * one. Completes with whether it changed the stored watermark.
     */
    CompletionStage<Boolean> recordRevocation(Revocation r) {
        Objects.requireNonNull(r, "r");
        byte[] field = utf8(r.scope().name() + " " + r.value());
        byte[] millis = utf8(Long.toString(ceilMillis(r.createdBefore())));
        return commands.<Long>eval(MAX_SCRIPT, ScriptOutputType.INTEGER, new byte[][] {revocationsKey}, field, millis)
                .thenApply(changed -> changed != null && changed == 1L);
    }

    /** Only the second half of {@link #publishRevocation}: publishes the watermark to every server. */
    CompletionStage<Void> announceRevocation(Revocation r) {
        Objects.requireNonNull(r, "r");
        return publish(utf8("r " + r.encode()));
    }

    /** The watermarks stored in Redis, in no particular order. Unparseable fields are skipped (and logged). */
    CompletionStage<List<Revocation>> loadRevocations() {
        return commands.hgetall(revocationsKey).thenApply(InvalidationPublisher::parseRevocations);
    }

    private CompletionStage<Void> publish(byte[] message) {
        return commands.publish(channel, message).thenApply(n -> null);
    }

    // ------------------------------------------------------------------ receiving side (package-private)

    /** What a message on the channel asks for. */
    sealed interface Message {
        /** Drop one key. */
        record Key(SessionKey key) implements Message {
        }

        /** Apply a watermark. */
        record Revoke(Revocation revocation) implements Message {
        }

        /** Drop everything. */
        record All() implements Message {
        }
    }

    /**
     * Parses a message of the channel.
     *
     * @return the message, or null when it is of an unknown kind
     * @throws RuntimeException when it is of a known kind but malformed
     */
    static Message parse(KeyLayout layout, byte[] raw) {
        if (raw.length > KEY_MESSAGE.length && raw[0] == 'k' && raw[1] == ' ') {
            SessionKey key = layout.parse(Arrays.copyOfRange(raw, KEY_MESSAGE.length, raw.length));
            if (key == null) {
                throw new IllegalArgumentException("a key message that names no session of this layout");
            }
            return new Message.Key(key);
        }
        String m = new String(raw, StandardCharsets.UTF_8);
        if (m.startsWith("r ")) {
            return new Message.Revoke(Revocation.decode(m.substring(2)));
        } else if (m.equals(ALL_MESSAGE)) {
            return new Message.All();
        }
        return null;
    }

    private static List<Revocation> parseRevocations(Map<byte[], byte[]> hash) {
        List<Revocation> out = new ArrayList<>(hash.size());
        for (Map.Entry<byte[], byte[]> e : hash.entrySet()) {
            try {
                String field = new String(e.getKey(), StandardCharsets.UTF_8);
                int sp = field.indexOf(' ');
                Revocation.Scope scope = Revocation.Scope.valueOf(field.substring(0, sp));
                long millis = Long.parseLong(new String(e.getValue(), StandardCharsets.UTF_8));
                out.add(new Revocation(scope, field.substring(sp + 1), Instant.ofEpochMilli(millis)));
            } catch (RuntimeException bad) {
                LOG.warn("skipped an unparseable revocation watermark: {}", bad.getMessage());
            }
        }
        return out;
    }

    // Records have millisecond precision; rounding up keeps every record the watermark covered covered.
    private static long ceilMillis(Instant t) {
        long ms = t.toEpochMilli();
        return Instant.ofEpochMilli(ms).equals(t) ? ms : ms + 1;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
