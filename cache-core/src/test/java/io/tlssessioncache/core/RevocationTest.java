package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class RevocationTest {
    static final Instant T = FakeTime.DEFAULT_START;
    static final byte[] CLIENT = TestRecords.bytes(32, 5);

    final SessionRecord early = TestRecords.builder().createdAt(T.minusSeconds(10)).serverName("Api.Example.TEST")
            .clientIdentity(CLIENT).build();
    final SessionRecord late = TestRecords.builder().createdAt(T.plusSeconds(10)).serverName("api.example.test")
            .clientIdentity(CLIENT).build();

    @Test
    void coversOnlySessionsCreatedBefore() {
        Revocation all = Revocation.all(T);
        assertTrue(all.covers(early));
        assertFalse(all.covers(late));
        assertFalse(all.covers(TestRecords.builder().createdAt(T).build()), "createdBefore is exclusive");
    }

    @Test
    void scopes() {
        assertTrue(Revocation.namespace(TestRecords.NAMESPACE, T).covers(early));
        assertFalse(Revocation.namespace("other", T).covers(early));
        assertTrue(Revocation.serverName("API.example.test", T).covers(early), "case-insensitive");
        assertFalse(Revocation.serverName("other.test", T).covers(early));
        assertFalse(Revocation.serverName("x", T).covers(TestRecords.builder().createdAt(T.minusSeconds(1))
                .serverName(null).build()));
        assertTrue(Revocation.clientIdentity(CLIENT, T).covers(early));
        assertFalse(Revocation.clientIdentity(TestRecords.bytes(32, 6), T).covers(early));
        assertFalse(Revocation.clientIdentity(CLIENT, T).covers(TestRecords.builder()
                .createdAt(T.minusSeconds(1)).build()));
    }

    @Test
    void valuesAreNormalized() {
        assertEquals("api.example.test", Revocation.serverName("API.Example.Test", T).value());
        String upper = HexFormat.of().withUpperCase().formatHex(CLIENT);
        assertEquals(upper.toLowerCase(), new Revocation(Revocation.Scope.CLIENT_IDENTITY, upper, T).value());
    }

    @Test
    void constructorRejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> new Revocation(Revocation.Scope.ALL, "x", T));
        assertThrows(IllegalArgumentException.class, () -> Revocation.namespace("", T));
        assertThrows(IllegalArgumentException.class, () -> Revocation.namespace("x".repeat(65), T));
        assertThrows(IllegalArgumentException.class, () -> Revocation.serverName("", T));
        assertThrows(IllegalArgumentException.class,
                () -> new Revocation(Revocation.Scope.CLIENT_IDENTITY, "ab", T));
        assertThrows(IllegalArgumentException.class,
                () -> new Revocation(Revocation.Scope.CLIENT_IDENTITY, "g".repeat(64), T));
        assertThrows(IllegalArgumentException.class, () -> Revocation.clientIdentity(new byte[31], T));
        assertThrows(NullPointerException.class, () -> new Revocation(null, "", T));
        assertThrows(NullPointerException.class, () -> Revocation.all(null));
    }

    @Test
    void textRoundTrip() {
        List<Revocation> rs = List.of(
                Revocation.all(T),
                Revocation.namespace("name space with spaces", T.plusNanos(123_456_789)),
                Revocation.serverName("api.example.test", T.minus(Duration.ofDays(400))),
                Revocation.clientIdentity(CLIENT, T));
        for (Revocation r : rs) {
            assertEquals(r, Revocation.decode(r.encode()), r.encode());
        }
        assertEquals("v1 ALL 2026-01-01T00:00:00Z", Revocation.all(T).encode());
        assertEquals("v1 SERVER_NAME 2026-01-01T00:00:00Z a.test", Revocation.serverName("a.test", T).encode());
    }

    @Test
    void strictParsing() {
        List<String> bad = List.of(
                "", "v1", "v1 ALL", "v2 ALL 2026-01-01T00:00:00Z", "v1 ALL 2026-01-01T00:00:00Z ",
                "v1 ALL 2026-01-01T00:00:00Z x", "v1 all 2026-01-01T00:00:00Z", "v1 NAMESPACE 2026-01-01T00:00:00Z",
                "v1 NAMESPACE 2026-01-01T00:00:00Z ", "v1 NAMESPACE yesterday ns", "v1 SERVER_NAME 2026-01-01T00:00:00Z A.test",
                "v1 CLIENT_IDENTITY 2026-01-01T00:00:00Z abc", "v1  ALL 2026-01-01T00:00:00Z",
                "v1 NOPE 2026-01-01T00:00:00Z x", "v1 ALL 2026-01-01T00:00:00.000Z", "v1 ALL 2026-01-01T01:00:00+01:00", "v1 NAMESPACE 2026-01-01T00:00:00Z " + "x".repeat(2000));
        for (String s : bad) {
            assertThrows(IllegalArgumentException.class, () -> Revocation.decode(s), "accepted: " + s);
        }
        assertThrows(IllegalArgumentException.class, () -> Revocation.decode(null));
    }
}
