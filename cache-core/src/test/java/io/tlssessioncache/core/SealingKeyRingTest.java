package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealingKeyRingTest {
    static final byte[] KEY_1 = TestRecords.bytes(32, 101);
    static final byte[] KEY_2 = TestRecords.bytes(32, 102);
    static final String B64_1 = Base64.getEncoder().encodeToString(KEY_1);
    static final String B64_2 = Base64.getEncoder().encodeToString(KEY_2);

    final SessionKey key = new SessionKey("ns", TlsProtocol.TLS_1_3, SessionId.random());
    final byte[] plaintext = TestRecords.bytes(150, 7);

    @Test
    void sealThenOpen() {
        SealingKeyRing ring = SealingKeyRing.generate();
        byte[] sealed = ring.seal(key, plaintext);
        assertEquals(plaintext.length + SealingKeyRing.OVERHEAD, sealed.length);
        assertArrayEquals(plaintext, ring.open(key, sealed));
        assertArrayEquals(new byte[0], ring.open(key, ring.seal(key, new byte[0])));
    }

    @Test
    void eachSealUsesAFreshNonce() {
        SealingKeyRing ring = SealingKeyRing.generate();
        assertFalse(Arrays.equals(ring.seal(key, plaintext), ring.seal(key, plaintext)));
    }

    @Test
    void generatedRingsDiffer() {
        byte[] sealed = SealingKeyRing.generate().seal(key, plaintext);
        assertThrows(InvalidRecordException.class, () -> SealingKeyRing.generate().open(key, sealed));
    }

    @Test
    void rotation() {
        SealingKeyRing old = SealingKeyRing.parse("1:" + B64_1);
        byte[] sealedOld = old.seal(key, plaintext);
        assertEquals(1, sealedOld[1]);

        // Step 2 of a rotation: new primary, old key still accepted.
        SealingKeyRing rotated = SealingKeyRing.parse("2:" + B64_2 + "\n1:" + B64_1);
        assertEquals(2, rotated.primaryKeyId());
        assertEquals(List.of(2, 1), rotated.keyIds());
        assertArrayEquals(plaintext, rotated.open(key, sealedOld));
        byte[] sealedNew = rotated.seal(key, plaintext);
        assertEquals(2, sealedNew[1]);

        // Step 1 (new key known, not primary) can open what step 2 seals.
        SealingKeyRing staged = SealingKeyRing.parse("1:" + B64_1 + "\n2:" + B64_2);
        assertArrayEquals(plaintext, staged.open(key, sealedNew));

        // Step 3: old key dropped; its blobs no longer open.
        SealingKeyRing dropped = SealingKeyRing.parse("2:" + B64_2);
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> dropped.open(key, sealedOld));
        assertTrue(e.getMessage().contains("unknown key id 1"), e.getMessage());
        assertThrows(InvalidRecordException.class, () -> old.open(key, sealedNew));
    }

    @Test
    void sameIdDifferentKeyIsRejected() {
        byte[] sealed = SealingKeyRing.parse("1:" + B64_1).seal(key, plaintext);
        assertThrows(InvalidRecordException.class, () -> SealingKeyRing.parse("1:" + B64_2).open(key, sealed));
    }

    @Test
    void everyTamperedByteIsRejected() {
        SealingKeyRing ring = SealingKeyRing.generate();
        byte[] sealed = ring.seal(key, plaintext);
        for (int i = 0; i < sealed.length; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] t = sealed.clone();
                t[i] ^= (byte) (1 << bit);
                assertThrows(InvalidRecordException.class, () -> ring.open(key, t), "byte " + i);
            }
        }
    }

    @Test
    void truncatedAndExtendedBlobsAreRejected() {
        SealingKeyRing ring = SealingKeyRing.generate();
        byte[] sealed = ring.seal(key, plaintext);
        for (int n = 0; n < sealed.length; n++) {
            byte[] t = Arrays.copyOf(sealed, n);
            assertThrows(InvalidRecordException.class, () -> ring.open(key, t), "length " + n);
        }
        assertThrows(InvalidRecordException.class, () -> ring.open(key, Arrays.copyOf(sealed, sealed.length + 1)));
        assertThrows(InvalidRecordException.class, () -> ring.open(key, null));
    }

    @Test
    void blobsAreBoundToNamespaceProtocolAndId() {
        SealingKeyRing ring = SealingKeyRing.generate();
        byte[] sealed = ring.seal(key, plaintext);
        assertThrows(InvalidRecordException.class,
                () -> ring.open(new SessionKey("other", key.protocol(), key.id()), sealed));
        assertThrows(InvalidRecordException.class,
                () -> ring.open(new SessionKey(key.namespace(), key.protocol(), SessionId.random()), sealed));
        assertThrows(InvalidRecordException.class,
                () -> ring.open(new SessionKey(key.namespace(), TlsProtocol.TLS_1_2, key.id()), sealed),
                "a TLS 1.3 blob copied under the TLS 1.2 key of the same id does not open");
        // "n"+"s..." vs "ns"+"...": the length prefix keeps namespace and id apart.
        byte[] id = key.id().toBytes();
        assertThrows(InvalidRecordException.class,
                () -> ring.open(new SessionKey("n", key.protocol(), key.id()), sealed));
        assertNotEquals(0, id.length);
    }

    @Test
    void unknownFormatVersionIsRejected() {
        SealingKeyRing ring = SealingKeyRing.generate();
        byte[] sealed = ring.seal(key, plaintext);
        sealed[0] = 1; // the version before the protocol was bound: not opened
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> ring.open(key, sealed));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
    }

    @Test
    void randomInputOnlyEverFailsWithInvalidRecord() {
        SealingKeyRing ring = SealingKeyRing.parse("1:" + B64_1 + "\n2:" + B64_2);
        Random random = new Random(3);
        for (int i = 0; i < 5_000; i++) {
            byte[] b = new byte[random.nextInt(200)];
            random.nextBytes(b);
            if (b.length > 1 && random.nextBoolean()) {
                b[0] = 1;
                b[1] = (byte) (1 + random.nextInt(2));
            }
            try {
                ring.open(key, b);
                throw new AssertionError("random bytes authenticated");
            } catch (InvalidRecordException expected) {
                // the only acceptable outcome
            }
        }
    }

    @Test
    void concurrentSealAndOpenDoNotInterfere() throws Exception {
        // The cipher is per thread; many threads sealing and opening different records at once.
        SealingKeyRing ring = SealingKeyRing.generate();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 2_000; i++) {
                        SessionKey k = new SessionKey("ns" + seed, TlsProtocol.TLS_1_3, SessionId.random());
                        byte[] p = new byte[random.nextInt(300)];
                        random.nextBytes(p);
                        assertArrayEquals(p, ring.open(k, ring.seal(k, p)));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void parseFormat() {
        SealingKeyRing ring = SealingKeyRing.parse("""
                # primary first
                7:%s

                  3 : %s
                """.formatted(B64_1, B64_2));
        assertEquals(7, ring.primaryKeyId());
        assertEquals(List.of(7, 3), ring.keyIds());
        // Comma-separated, for a one-line environment variable.
        assertEquals(List.of(3, 7), SealingKeyRing.parse("3:" + B64_2 + ",7:" + B64_1).keyIds());
    }

    @Test
    void parseErrorsNeverEchoKeys() {
        String shortKey = Base64.getEncoder().encodeToString(Arrays.copyOf(KEY_1, 16));
        List<String> bad = List.of(
                "", "# only a comment", B64_1, "x:" + B64_1, "0:" + B64_1, "256:" + B64_1,
                "1:" + shortKey, "1:" + B64_1 + "!!", "1:" + B64_1 + "\n1:" + B64_2, "-1:" + B64_1);
        for (String text : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.parse(text),
                    "accepted a bad key ring");
            String m = e.getMessage();
            assertFalse(m.contains(B64_1.substring(0, 12)) || m.contains(B64_2.substring(0, 12))
                    || m.contains(shortKey.substring(0, 12)), m);
        }
        assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.parse(null));
    }

    @Test
    void toStringShowsIdsOnly() {
        SealingKeyRing ring = SealingKeyRing.parse("1:" + B64_1 + "\n2:" + B64_2);
        String s = ring.toString();
        assertTrue(s.contains("primary=1"), s);
        assertFalse(s.contains(B64_1.substring(0, 8)), s);
        assertFalse(s.contains(B64_2.substring(0, 8)), s);
    }

    @Test
    void fromFile(@TempDir Path dir) throws Exception {
        Path f = ownerOnly(dir.resolve("keys"), "# test ring\n1:" + B64_1 + "\n");
        SealingKeyRing ring = SealingKeyRing.fromFile(f);
        byte[] sealed = SealingKeyRing.parse("1:" + B64_1).seal(key, plaintext);
        assertArrayEquals(plaintext, ring.open(key, sealed));
        assertThrows(UncheckedIOException.class, () -> SealingKeyRing.fromFile(dir.resolve("missing")));
    }

    static Path ownerOnly(Path file, String text) throws Exception {
        Files.writeString(file, text);
        return Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aFileItsGroupOrOthersCanAccessIsRefusedWithTheModeAndTheFix(@TempDir Path dir) throws Exception {
        Path f = ownerOnly(dir.resolve("keys"), "1:" + B64_1 + "\n");
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw------x", "r--r--r--")) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.fromFile(f),
                    mode);
            assertTrue(e.getMessage().contains("chmod 600 " + f), e.getMessage());
            assertTrue(e.getMessage().contains(mode), e.getMessage());
            assertFalse(e.getMessage().contains(B64_1.substring(0, 8)), "no key material: " + e.getMessage());
        }
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.fromFile(f)).getMessage()
                .contains("mode 0644"));
        for (String mode : List.of("rw-------", "r--------")) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
            assertEquals(List.of(1), SealingKeyRing.fromFile(f).keyIds(), mode);
        }
        // A symbolic link is judged by the file it points to (as Kubernetes mounts secrets).
        Path link = Files.createSymbolicLink(dir.resolve("link"), f);
        assertEquals(List.of(1), SealingKeyRing.fromFile(link).keyIds());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.fromFile(link));
    }

    @Test
    void fromEnvironmentNeedsTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SealingKeyRing.fromEnvironment("TLS_SESSION_CACHE_TEST_SURELY_UNSET_VARIABLE"));
        assertTrue(e.getMessage().contains("TLS_SESSION_CACHE_TEST_SURELY_UNSET_VARIABLE"));
    }

    @Test
    void ofAndNewKeyLine() {
        Map<Integer, byte[]> keys = new LinkedHashMap<>();
        keys.put(5, KEY_1);
        SealingKeyRing ring = SealingKeyRing.of(keys);
        byte[] sealed = ring.seal(key, plaintext);
        assertArrayEquals(plaintext, SealingKeyRing.parse("5:" + B64_1).open(key, sealed));
        assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.of(Map.of(1, new byte[16])));
        assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.of(Map.of(300, KEY_1)));
        assertThrows(IllegalArgumentException.class, () -> SealingKeyRing.of(Map.of()));

        String line = SealingKeyRing.newKeyLine(9);
        assertTrue(line.startsWith("9:"));
        assertEquals(List.of(9), SealingKeyRing.parse(line).keyIds());
        assertNotEquals(line, SealingKeyRing.newKeyLine(9));
    }
}
