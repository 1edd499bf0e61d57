package io.tlssessioncache.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tlssessioncache.core.Revocation;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.TlsProtocol;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The channel's message format, parsed (publishing goes through real Redis in {@link InvalidationTest}). */
class InvalidationPublisherTest {
    private final KeyLayout layout = new KeyLayout("p");
    private InvalidationPublisher.Message parse(String m) {
        return parse(m.getBytes(StandardCharsets.UTF_8));
    }

    private InvalidationPublisher.Message parse(byte[] m) {
        return InvalidationPublisher.parse(layout, m);
    }

    private static byte[] keyMessage(byte[] key) {
        byte[] m = Arrays.copyOf(new byte[] {'k', ' '}, 2 + key.length);
        System.arraycopy(key, 0, m, 2, key.length);
        return m;
    }

    @Test
    void parsesTheThreeKinds() {
        for (TlsProtocol p : TlsProtocol.values()) {
            SessionKey key = new SessionKey("ns-1", p, SessionId.random());
            assertEquals(new InvalidationPublisher.Message.Key(key), parse(keyMessage(layout.key(key))),
                    "a key message is 'k ' and the session's Redis key: the protocol included");
        }
        Revocation r = Revocation.serverName("a.test", Instant.ofEpochMilli(1_700_000_000_123L));
        assertEquals(new InvalidationPublisher.Message.Revoke(r), parse("r " + r.encode()));
        assertInstanceOf(InvalidationPublisher.Message.All.class, parse("a"));
    }

    @Test
    void unknownMessagesAreNullAndMalformedOnesThrow() {
        assertNull(parse("x"));
        assertNull(parse("all"));
        assertThrows(RuntimeException.class, () -> parse("k " + "zz".repeat(32) + " ns"));
        SessionKey other = new SessionKey("ns", TlsProtocol.TLS_1_3, SessionId.random());
        assertThrows(RuntimeException.class, () -> parse(keyMessage(new KeyLayout("q").key(other))),
                "another prefix's key");
        assertThrows(RuntimeException.class, () -> parse("r nonsense"));
    }

    @Test
    void names() {
        assertEquals("p:invalidate", layout.channel());
        assertEquals("p:revocations", layout.revocationsKey());
    }
}
