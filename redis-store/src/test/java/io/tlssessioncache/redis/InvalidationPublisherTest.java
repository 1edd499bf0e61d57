package io.tlssessioncache.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The channel's message format, parsed (publishing goes through real Redis in {@link InvalidationTest}). */
class InvalidationPublisherTest {

    private static InvalidationPublisher.Message parse(String m) {
        return InvalidationPublisher.parse(m.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesTheThreeKinds() {
        SessionKey key = new SessionKey("ns-1", SessionId.random());
        assertEquals(new InvalidationPublisher.Message.Key(key), parse("k " + key.id().toHex() + " ns-1"));
        Revocation r = Revocation.serverName("a.test", Instant.ofEpochMilli(1_700_000_000_123L));
        assertEquals(new InvalidationPublisher.Message.Revoke(r), parse("r " + r.encode()));
        assertInstanceOf(InvalidationPublisher.Message.All.class, parse("a"));
    }

    @Test
    void unknownMessagesAreNullAndMalformedOnesThrow() {
        assertNull(parse("x"));
        assertNull(parse("k 00"), "too short to be a key message");
        assertNull(parse("all"));
        assertThrows(RuntimeException.class, () -> parse("k " + "zz".repeat(32) + " ns"));
        assertThrows(RuntimeException.class, () -> parse("r nonsense"));
    }

    @Test
    void names() {
        assertEquals("p:invalidate", InvalidationPublisher.channelName("p"));
        assertEquals("p:revocations", InvalidationPublisher.revocationsKeyName("p"));
        assertEquals(InvalidationPublisher.channelName("p"), RedisInvalidations.channelName("p"));
    }
}
