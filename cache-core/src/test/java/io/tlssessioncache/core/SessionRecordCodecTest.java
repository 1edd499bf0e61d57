package io.tlssessioncache.core;

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
                TestRecords.builder().protocol(TlsProtocol.TLS_1_2).cipherSuite("ECDHE-RSA-AES128-GCM-SHA256")
                        .serverName(null).applicationProtocol(null).build(),
                TestRecords.builder().clientIdentity(client).stateLength(1500).build(),
                TestRecords.builder().stateLength(0).serverName("").applicationProtocol("").build(),
                TestRecords.builder().namespace("ñ".repeat(64)).serverName("bücher.example")
                        .stateLength(SessionRecordCodec.MAX_STATE_LENGTH).build(),
                TestRecords.builder().createdAt(Instant.ofEpochMilli(-5)).lifetime(Duration.ofMillis(1)).build());
    }

    @Test
    void roundTrips() {
        for (SessionRecord r : samples()) {
            assertEquals(r, SessionRecordCodec.decode(SessionRecordCodec.encode(r)));
        }
    }

    @Test
    void knownLayout() {
        SessionRecord r = TestRecords.builder().namespace("ns").serverName(null).applicationProtocol(null)
                .cipherSuite("C").state(new byte[] {7}).build();
        byte[] b = SessionRecordCodec.encode(r);
        ByteBuffer in = ByteBuffer.wrap(b);
        assertEquals(1, in.get());
        assertEquals(2, in.get());
        in.position(in.position() + 2 + 32);
        assertEquals(0x0304, in.getShort());
        assertEquals(1, in.get());
        assertEquals('C', in.get());
        assertEquals(0, in.get()); // no sni
        assertEquals(0, in.get()); // no alpn
        assertEquals(0, in.get()); // no client identity
        assertEquals(r.createdAt().toEpochMilli(), in.getLong());
        assertEquals(r.expiresAt().toEpochMilli(), in.getLong());
        assertEquals(1, in.getInt());
        assertEquals(7, in.get());
        assertFalse(in.hasRemaining());
    }

    @Test
    void instantsAreKeptToTheMillisecond() {
        Instant t = Instant.parse("2026-01-01T00:00:00.123456789Z");
        SessionRecord r = TestRecords.builder().createdAt(t).build();
        SessionRecord back = SessionRecordCodec.decode(SessionRecordCodec.encode(r));
        assertEquals(Instant.parse("2026-01-01T00:00:00.123Z"), back.createdAt());
    }

    @Test
    void encodeRejectsOversizedFields() {
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().stateLength(SessionRecordCodec.MAX_STATE_LENGTH + 1).build()));
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().cipherSuite("x".repeat(256)).build()));
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().serverName("x".repeat(1025)).build()));
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().applicationProtocol("x".repeat(256)).build()));
        assertThrows(IllegalArgumentException.class, () -> SessionRecordCodec.encode(
                TestRecords.builder().serverName("\uD800").build()));
    }

    @Test
    void specificDefectsAreInvalidRecords() {
        byte[] good = SessionRecordCodec.encode(TestRecords.sample());
        assertInvalid(null, "null");
        assertInvalid(new byte[0], "truncated");
        byte[] v = good.clone();
        v[0] = 2;
        assertInvalid(v, "version 2");
        assertInvalid(Arrays.copyOf(good, good.length + 1), "trailing");
        assertInvalid(Arrays.copyOf(good, good.length - 1), "truncated");
        byte[] ns = good.clone();
        ns[1] = 0;
        assertInvalid(ns, "namespace length");
        // the protocol code follows version, namespace length, namespace and id
        int protocolAt = 2 + TestRecords.NAMESPACE.length() + 32;
        byte[] p = good.clone();
        p[protocolAt + 1] = 0x05;
        assertInvalid(p, "protocol");
        // expiresAt before createdAt
        SessionRecord r = TestRecords.sample();
        byte[] e = good.clone();
        ByteBuffer.wrap(e).putLong(good.length - 4 - 150 - 8, r.createdAt().toEpochMilli());
        assertInvalid(e, "expiresAt");
        // state length set huge, and just over the limit
        byte[] s = good.clone();
        ByteBuffer.wrap(s).putInt(good.length - 4 - 150, -1);
        assertInvalid(s, "state length");
        ByteBuffer.wrap(s).putInt(good.length - 4 - 150, SessionRecordCodec.MAX_STATE_LENGTH + 1);
        assertInvalid(s, "state length");
    }

    @Test
    void theLargestRecordFitsTheDeclaredMaximum() {
        byte[] client = TestRecords.bytes(32, 1);
        SessionRecord biggest = TestRecords.builder().namespace("ñ".repeat(64)).cipherSuite("c".repeat(255))
                .serverName("s".repeat(1024)).applicationProtocol("a".repeat(255)).clientIdentity(client)
                .stateLength(SessionRecordCodec.MAX_STATE_LENGTH).build();
        byte[] b = SessionRecordCodec.encode(biggest);
        assertTrue(b.length <= SessionRecordCodec.MAX_ENCODED_LENGTH);
        assertEquals(biggest, SessionRecordCodec.decode(b));
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
        bad[2] = (byte) 0xC0; // an overlong, never valid lead byte in the namespace
        assertInvalid(bad, "UTF-8");
    }

    @Test
    void messagesNeverContainTheBytes() {
        SessionRecord r = TestRecords.builder().state(HexFormat.of().parseHex("deadbeefcafebabe".repeat(4))).build();
        byte[] good = SessionRecordCodec.encode(r);
        for (int cut = 0; cut < good.length; cut++) {
            try {
                SessionRecordCodec.decode(Arrays.copyOf(good, cut));
                fail("decoded a truncated record");
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
            if (b.length > 0 && random.nextBoolean()) {
                b[0] = 1; // get past the version check more often
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
            SessionRecord r = SessionRecordCodec.decode(b);
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
            SessionRecordCodec.decode(b);
            fail("accepted bad input: " + what);
        } catch (InvalidRecordException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }
}
