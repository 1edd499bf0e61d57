package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SealedRecordCodecTest {
    final SealedRecordCodec codec = new SealedRecordCodec(SealingKeyRing.generate());

    @Test
    void roundTrips() {
        for (SessionRecord r : SessionRecordCodecTest.samples()) {
            assertEquals(r, codec.decode(r.key(), codec.encode(r)));
        }
    }

    @Test
    void theStateIsNotInTheBlob() {
        SessionRecord r = TestRecords.builder().state(new byte[64]).build(); // 64 zero bytes
        byte[] blob = codec.encode(r);
        byte[] zeros = new byte[16];
        for (int i = 0; i + 16 <= blob.length; i++) {
            assertFalse(Arrays.equals(zeros, Arrays.copyOfRange(blob, i, i + 16)), "plaintext visible at " + i);
        }
    }

    @Test
    void aBlobMovedToAnotherKeyIsRejected() {
        SessionRecord a = TestRecords.sample();
        SessionRecord b = TestRecords.sample();
        byte[] blobA = codec.encode(a);
        assertThrows(InvalidRecordException.class, () -> codec.decode(b.key(), blobA));
        assertThrows(InvalidRecordException.class,
                () -> codec.decode(new SessionKey("elsewhere", a.protocol(), a.id()), blobA));
        assertThrows(InvalidRecordException.class,
                () -> codec.decode(new SessionKey(a.namespace(), TlsProtocol.TLS_1_2, a.id()), blobA),
                "a TLS 1.3 session's blob does not open as the TLS 1.2 session of that id");
    }

    @Test
    void sealedGarbageIsRejectedAsMalformed() {
        // Authentic but not a record: opens, then fails in the codec, still as InvalidRecordException.
        SealingKeyRing ring = SealingKeyRing.generate();
        SessionKey key = TestRecords.sample().key();
        byte[] blob = ring.seal(key, new byte[] {1, 2, 3});
        assertThrows(InvalidRecordException.class, () -> new SealedRecordCodec(ring).decode(key, blob));
    }

    @Test
    void theRecordTakesTheKeyItWasSealedFor() {
        // The value holds no key of its own: the one it opens under (and was bound to) is the record's.
        SessionRecord r = TestRecords.builder().protocol(TlsProtocol.TLS_1_2).build();
        assertEquals(r.key(), codec.decode(r.key(), codec.encode(r)).key());
        assertEquals(TlsProtocol.TLS_1_2, codec.decode(r.key(), codec.encode(r)).protocol());
    }

    @Test
    void mutationsOnlyEverFailWithInvalidRecord() {
        Random random = new Random(4);
        SessionRecord r = TestRecords.sample();
        byte[] good = codec.encode(r);
        for (int i = 0; i < 3_000; i++) {
            byte[] b = good.clone();
            if (random.nextBoolean()) {
                b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
            } else {
                b = Arrays.copyOf(b, random.nextInt(b.length * 2));
            }
            byte[] in = b;
            if (Arrays.equals(in, good)) {
                continue;
            }
            assertThrows(InvalidRecordException.class, () -> codec.decode(r.key(), in));
        }
    }
}
