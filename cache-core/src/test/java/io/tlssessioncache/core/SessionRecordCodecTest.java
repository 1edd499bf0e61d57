package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SessionRecordCodecTest {

    static List<SessionRecord> samples() {
        byte[] client = TestRecords.bytes(32, 9);
        return List.of(
                TestRecords.sample(),
                TestRecords.builder().protocol(TlsProtocol.TLS_1_2).serverName(null).build(),
                TestRecords.builder().clientIdentity(client).stateLength(1500).build(),
                TestRecords.builder().stateLength(0).serverName("").build(),
                TestRecords.builder().namespace("ñ".repeat(64)).serverName("bücher.example")
                        .stateLength(SessionRecordCodec.MAX_STATE_LENGTH).build(),
                TestRecords.builder().createdAt(Instant.ofEpochMilli(-5)).lifetime(Duration.ofMillis(1)).build());
    }

    private static SessionRecord roundTrip(SessionRecord r) {
        return SessionRecordCodec.decode(r.key(), SessionRecordCodec.encode(r));
    }

    @Test
    void roundTrips() {
        for (SessionRecord r : samples()) {
            assertEquals(r, roundTrip(r));
        }
    }

    @Test
    void knownLayout() {
        SessionRecord r = TestRecords.builder().serverName("a.b").state(new byte[] {7}).build();
        byte[] b = SessionRecordCodec.encode(r);
        ByteBuffer in = ByteBuffer.wrap(b);
        assertEquals(2, in.get());
        assertEquals(1, in.get()); // flags: server name, no client identity
        assertEquals(3, in.get());
        assertEquals('a', in.get());
        in.position(in.position() + 2);
        assertEquals(r.createdAt().toEpochMilli(), in.getLong());
        assertEquals(r.expiresAt().toEpochMilli(), in.getLong());
        assertEquals(7, in.get());
        assertFalse(in.hasRemaining());

        byte[] client = TestRecords.bytes(32, 3);
        byte[] both = SessionRecordCodec.encode(TestRecords.builder().serverName(null).clientIdentity(client)
                .stateLength(0).build());
        assertEquals(1 + 1 + 32 + 8 + 8, both.length);
        assertEquals(2, both[1]); // flags: client identity only
        assertArrayEquals(client, Arrays.copyOfRange(both, 2, 34));
    }

    @Test
    void aTypicalSessionIs18BytesPlusItsServerNameAndState() {
        // What Redis memory per session depends on (docs/guide/operations.md, "Sizing").
        SessionRecord r = TestRecords.builder().serverName("localhost").stateLength(160).build();
        assertEquals(2 + 1 + 9 + 16 + 160, SessionRecordCodec.encode(r).length);
    }

    @Test
    void theKeyIsNotInTheValue() {
        SessionRecord r = TestRecords.sample();
        byte[] b = SessionRecordCodec.encode(r);
        byte[] id = r.id().toBytes();
        for (int i = 0; i + 8 <= b.length; i++) {
            assertFalse(Arrays.equals(Arrays.copyOfRange(id, 0, 8), Arrays.copyOfRange(b, i, i + 8)), "id at " + i);
        }
        SessionKey other = new SessionKey("elsewhere", TlsProtocol.TLS_1_2, SessionId.random());
        assertEquals(other, SessionRecordCodec.decode(other, b).key(), "the record takes the key it is read under");
    }

    @Test
    void instantsAreKeptToTheMillisecond() {
        Instant t = Instant.parse("2026-01-01T00:00:00.123456789Z");
        SessionRecord back = roundTrip(TestRecords.builder().createdAt(t).build());
        assertEquals(Instant.parse("2026-01-01T00:00:00.123Z"), back.createdAt());
    }

    @Test
    void encodeRejectsOversizedFields() {
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().stateLength(SessionRecordCodec.MAX_STATE_LENGTH + 1).build()));
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().serverName("x".repeat(256)).build()));
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().serverName("\uD800").build()));
    }

    @Test
    void specificDefectsAreInvalidRecords() {
        SessionRecord r = TestRecords.sample(); // "example.test", no client identity, 150 bytes of state
        byte[] good = SessionRecordCodec.encode(r);
        assertInvalid(null, "null");
        assertInvalid(new byte[0], "truncated");
        byte[] v = good.clone();
        v[0] = 1;
        assertInvalid(v, "version 1 (the format before the key left the value)");
        byte[] f = good.clone();
        f[1] = 4;
        assertInvalid(f, "unknown flag");
        byte[] sni = good.clone();
        sni[2] = (byte) 200;
        assertInvalid(sni, "server name longer than what is left");
        assertInvalid(Arrays.copyOf(good, 2 + 1 + 12 + 15), "truncated times");
        // expiresAt before createdAt
        int timesAt = 2 + 1 + "example.test".length();
        byte[] e = good.clone();
        ByteBuffer.wrap(e).putLong(timesAt + 8, r.createdAt().toEpochMilli());
        assertInvalid(e, "expiresAt");
        // a state over the limit
        byte[] big = Arrays.copyOf(good, timesAt + 16 + SessionRecordCodec.MAX_STATE_LENGTH + 1);
        assertInvalid(big, "state length");
    }

    @Test
    void theLargestRecordFitsTheDeclaredMaximum() {
        byte[] client = TestRecords.bytes(32, 1);
        SessionRecord biggest = TestRecords.builder().namespace("ñ".repeat(64)).serverName("s".repeat(255))
                .clientIdentity(client).stateLength(SessionRecordCodec.MAX_STATE_LENGTH).build();
        byte[] b = SessionRecordCodec.encode(biggest);
        assertEquals(SessionRecordCodec.MAX_ENCODED_LENGTH, b.length);
        assertEquals(biggest, SessionRecordCodec.decode(biggest.key(), b));
        assertInvalid(new byte[SessionRecordCodec.MAX_ENCODED_LENGTH + 1], "too long");
        SealedRecordCodec sealed = new SealedRecordCodec(SealingKeyRing.generate());
        byte[] blob = sealed.encode(biggest);
        assertTrue(blob.length <= SealedRecordCodec.MAX_SEALED_LENGTH);
        assertEquals(biggest, sealed.decode(biggest.key(), blob));
        assertThrows(InvalidRecordException.class,
                () -> sealed.decode(biggest.key(), new byte[SealedRecordCodec.MAX_SEALED_LENGTH + 1]));
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[] good = SessionRecordCodec.encode(TestRecords.sample());
        byte[] bad = good.clone();
        bad[3] = (byte) 0xC0; // an overlong, never valid lead byte in the server name
        assertInvalid(bad, "UTF-8");
    }

    @Test
    void messagesNeverContainTheBytes() {
        SessionRecord r = TestRecords.builder().state(HexFormat.of().parseHex("deadbeefcafebabe".repeat(4))).build();
        byte[] good = SessionRecordCodec.encode(r);
        for (int cut = 0; cut < good.length; cut++) {
            try {
                SessionRecordCodec.decode(r.key(), Arrays.copyOf(good, cut));
                if (cut < good.length - r.state().length) {
                    fail("decoded a record truncated before its state");
                }
            } catch (InvalidRecordException e) {
                assertFalse(e.getMessage().toLowerCase().contains("deadbeef"), e.getMessage());
                assertFalse(e.getMessage().contains(r.id().toHex().substring(0, 16)), e.getMessage());
            }
        }
    }

    @Test
    void randomBytesOnlyEverFailWithInvalidRecord() {
        Random random = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(300)];
            random.nextBytes(b);
            if (b.length > 1 && random.nextBoolean()) {
                b[0] = 2; // get past the version check more often
                b[1] &= 3;
            }
            decodeOrInvalid(b);
        }
    }

    @Test
    void mutatedEncodingsOnlyEverFailWithInvalidRecord() {
        Random random = new Random(2);
        List<byte[]> goods = samples().stream().filter(r -> r.state().length < 2000)
                .map(SessionRecordCodec::encode).toList();
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = goods.get(random.nextInt(goods.size())).clone();
            switch (random.nextInt(5)) {
                case 0 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length));
                case 2 -> {
                    byte[] more = new byte[1 + random.nextInt(8)];
                    random.nextBytes(more);
                    byte[] c = Arrays.copyOf(b, b.length + more.length);
                    System.arraycopy(more, 0, c, b.length, more.length);
                    b = c;
                }
                case 3 -> {
                    // a run of 0xFF: length fields set huge wherever it lands
                    int at = random.nextInt(b.length);
                    Arrays.fill(b, at, Math.min(b.length, at + 1 + random.nextInt(4)), (byte) 0xFF);
                }
                default -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            if (decodeOrInvalid(b)) {
                decoded++;
            }
        }
        // Sanity: some mutations (e.g. inside the state) still decode, so the test exercises both paths.
        assertTrue(decoded > 0);
    }

    /** Decodes, accepting a record or InvalidRecordException; anything else fails the test. */
    static boolean decodeOrInvalid(byte[] b) {
        try {
            SessionRecord r = SessionRecordCodec.decode(TestRecords.sample().key(), b);
            // Whatever decodes must re-encode to the same bytes (the format is canonical).
            assertTrue(Arrays.equals(b, SessionRecordCodec.encode(r)), "non-canonical encoding accepted");
            return true;
        } catch (InvalidRecordException expected) {
            return false;
        } catch (Throwable t) {
            throw new AssertionError("decode threw " + t + " instead of InvalidRecordException", t);
        }
    }

    private static void assertInvalid(byte[] b, String what) {
        try {
            SessionRecordCodec.decode(TestRecords.sample().key(), b);
            fail("accepted bad input: " + what);
        } catch (InvalidRecordException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }
}
