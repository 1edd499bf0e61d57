package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionIdTest {

    @Test
    void randomIdsAreUnique() {
        Set<SessionId> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(seen.add(SessionId.random()), "duplicate random id");
        }
    }

    @Test
    void hexRoundTrip() {
        SessionId id = SessionId.random();
        assertEquals(64, id.toHex().length());
        assertEquals(id, SessionId.fromHex(id.toHex()));
        assertEquals(id, SessionId.fromHex(id.toHex().toUpperCase()));
        assertEquals(id, SessionId.of(id.toBytes()));
    }

    @Test
    void bytesAreCopied() {
        byte[] b = TestRecords.bytes(32, 1);
        SessionId id = SessionId.of(b);
        b[0]++;
        assertFalse(java.util.Arrays.equals(b, id.toBytes()));
        byte[] out = id.toBytes();
        out[1]++;
        assertNotEquals(out[1], id.toBytes()[1]);
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> SessionId.of(new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> SessionId.of(new byte[33]));
        assertThrows(IllegalArgumentException.class, () -> SessionId.of((byte[]) null));
        assertThrows(IllegalArgumentException.class, () -> SessionId.of(new byte[40], 0, 31));
        assertThrows(IllegalArgumentException.class, () -> SessionId.fromHex(null));
        assertThrows(IllegalArgumentException.class, () -> SessionId.fromHex("ab"));
        assertThrows(IllegalArgumentException.class, () -> SessionId.fromHex("zz".repeat(32)));
    }

    @Test
    void ofRangeCopiesTheRange() {
        byte[] src = TestRecords.bytes(40, 2);
        SessionId id = SessionId.of(src, 4, 32);
        assertArrayEquals(java.util.Arrays.copyOfRange(src, 4, 36), id.toBytes());
    }

    @Test
    void toStringShowsAPrefixOnly() {
        SessionId id = SessionId.random();
        String s = id.toString();
        assertTrue(s.contains(id.toHex().substring(0, 8)), s);
        assertFalse(s.contains(id.toHex().substring(0, 9)), s);
    }

    @Test
    void equalsAndHashCodeAreByValue() {
        byte[] b = TestRecords.bytes(32, 3);
        SessionId a = SessionId.of(b);
        SessionId c = SessionId.of(b.clone());
        assertEquals(a, c);
        assertEquals(a.hashCode(), c.hashCode());
        b[31] ^= 1;
        assertNotEquals(a, SessionId.of(b));
        assertNotEquals(a, null);
        assertNotEquals(a, "x");
    }
}
