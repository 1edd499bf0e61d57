package io.tlssessioncache.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM keys that seal session records at rest, with rotation.
 *
 * <p>{@link #seal} always uses the <em>primary</em> key; {@link #open} accepts a blob sealed under
 * any key of the ring. To rotate across a fleet: add the new key as a non-primary key everywhere,
 * then make it primary everywhere, then (after the longest session lifetime) drop the old key.
 *
 * <p>Sealed blob, format version 2:
 * <pre>
 *   u8   format version = 2
 *   u8   key id         1..255
 *   12   nonce          random per seal
 *   ..   ciphertext || 16-byte GCM tag
 * </pre>
 * The associated data is the 2-byte header, then the protocol (the low byte of its wire version),
 * the namespace (u8 length + UTF-8) and the 32-byte session id, so a blob copied to another key,
 * namespace or protocol does not open. (Version 1 bound no protocol; its blobs are not opened.)
 *
 * <p>Key ring text format ({@link #parse}): one key per line, {@code keyId:base64key}, where keyId is
 * 1..255 and the key is 32 bytes in standard Base64. The first key is the primary. Blank lines and
 * lines starting with {@code #} are ignored; in a single-line value (an environment variable) keys
 * may also be separated by commas. Error messages never contain key material; {@link #toString}
 * shows key ids only.
 */
public final class SealingKeyRing {
    /** Blob format version written by {@link #seal}. */
    public static final int FORMAT_VERSION = 2;
    /** Key length in bytes (AES-256). */
    public static final int KEY_LENGTH = 32;
    static final int NONCE_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    static final int HEADER_LENGTH = 2;
    /** Bytes a sealed blob adds to its plaintext. */
    public static final int OVERHEAD = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH;

    private static final SecureRandom RANDOM = new SecureRandom();
    // Cipher.getInstance does a provider lookup each call; a per-thread instance is re-initialized
    // (key, nonce, AAD) on every use, so no state leaks from one record to the next.
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding is not available", e);
        }
    });

    private final int primaryId;
    // Indexed by key id (1..255): an O(1) lookup without boxing on the open path.
    private final SecretKey[] keys = new SecretKey[256];
    private final List<Integer> ids;

    private SealingKeyRing(LinkedHashMap<Integer, byte[]> material) {
        if (material.isEmpty()) {
            throw new IllegalArgumentException("a key ring needs at least one key");
        }
        this.primaryId = material.keySet().iterator().next();
        for (Map.Entry<Integer, byte[]> e : material.entrySet()) {
            keys[e.getKey()] = new SecretKeySpec(e.getValue(), "AES");
            Arrays.fill(e.getValue(), (byte) 0);
        }
        this.ids = List.copyOf(material.keySet());
    }

    /** One fresh random primary key with id 1: the embedded single-node default (nothing leaves the process). */
    public static SealingKeyRing generate() {
        LinkedHashMap<Integer, byte[]> m = new LinkedHashMap<>();
        m.put(1, randomKey());
        return new SealingKeyRing(m);
    }

    /**
     * A ring from raw keys: {@code keys} maps key id (1..255) to 32 key bytes, in iteration order,
     * the first being the primary. The arrays are copied.
     */
    public static SealingKeyRing of(Map<Integer, byte[]> keys) {
        LinkedHashMap<Integer, byte[]> m = new LinkedHashMap<>();
        for (Map.Entry<Integer, byte[]> e : keys.entrySet()) {
            int id = e.getKey();
            checkId(id);
            byte[] k = e.getValue();
            if (k == null || k.length != KEY_LENGTH) {
                throw new IllegalArgumentException("key " + id + " must be " + KEY_LENGTH + " bytes");
            }
            m.put(id, k.clone());
        }
        return new SealingKeyRing(m);
    }

    /** Parses the text format described in the class comment. */
    public static SealingKeyRing parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("key ring text is null");
        }
        LinkedHashMap<Integer, byte[]> m = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\\R")) {
            lineNo++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            for (String entry : trimmed.split(",")) {
                String e = entry.strip();
                if (e.isEmpty()) {
                    continue;
                }
                int colon = e.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("key ring line " + lineNo + ": expected keyId:base64key");
                }
                int id;
                try {
                    id = Integer.parseInt(e.substring(0, colon).strip());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("key ring line " + lineNo + ": key id is not a number");
                }
                if (id < 1 || id > 255) {
                    throw new IllegalArgumentException("key ring line " + lineNo + ": key id " + id + " outside 1..255");
                }
                byte[] key;
                try {
                    key = Base64.getDecoder().decode(e.substring(colon + 1).strip());
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException("key ring line " + lineNo + ": key " + id + " is not valid Base64");
                }
                if (key.length != KEY_LENGTH) {
                    Arrays.fill(key, (byte) 0);
                    throw new IllegalArgumentException("key ring line " + lineNo + ": key " + id + " is "
                            + key.length + " bytes, must be " + KEY_LENGTH);
                }
                if (m.putIfAbsent(id, key) != null) {
                    throw new IllegalArgumentException("key ring line " + lineNo + ": duplicate key id " + id);
                }
            }
        }
        if (m.isEmpty()) {
            throw new IllegalArgumentException("key ring holds no keys");
        }
        return new SealingKeyRing(m);
    }

    /**
     * Reads and {@link #parse parses} a key ring file. Like OpenSSH with a private key, it refuses a
     * file that its group or others may access (on a file system with POSIX permissions; a symbolic
     * link is judged by its target): anyone who reads the ring can open every stored session.
     *
     * @throws IllegalArgumentException if the file's mode lets its group or others in (the message
     *                                  names the mode and the fix), or it does not parse
     * @throws UncheckedIOException     if it cannot be read
     */
    public static SealingKeyRing fromFile(Path file) {
        checkOwnerOnly(file);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read key ring file " + file, e);
        }
        return parse(text);
    }

    private static void checkOwnerOnly(Path file) {
        Set<PosixFilePermission> perms;
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (view == null) {
                return; // no POSIX permissions here (e.g. Windows): nothing to judge by
            }
            perms = view.readAttributes().permissions();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read key ring file " + file, e);
        }
        EnumSet<PosixFilePermission> shared = EnumSet.of(PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
        shared.retainAll(perms);
        if (!shared.isEmpty()) {
            throw new IllegalArgumentException("key ring file " + file + " has mode " + mode(perms) + " ("
                    + PosixFilePermissions.toString(perms) + "): its group or others can access it, and whoever reads"
                    + " it can open every stored session; restrict it to its owner: chmod 600 " + file);
        }
    }

    /** The octal mode of {@code perms}, e.g. {@code 0644}. */
    private static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 0400 >> p.ordinal(); // the enum runs OWNER_READ ... OTHERS_EXECUTE, highest bit first
        }
        return String.format("%04o", m);
    }

    /** {@link #parse Parses} the value of an environment variable; {@link IllegalArgumentException} if unset. */
    public static SealingKeyRing fromEnvironment(String variableName) {
        String value = System.getenv(variableName);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("environment variable " + variableName + " is not set");
        }
        return parse(value);
    }

    /** A key ring line {@code keyId:base64key} holding a fresh random key, for operators creating keys. */
    public static String newKeyLine(int keyId) {
        checkId(keyId);
        byte[] k = randomKey();
        try {
            return keyId + ":" + Base64.getEncoder().encodeToString(k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** The id of the key {@link #seal} uses. */
    public int primaryKeyId() {
        return primaryId;
    }

    /** All key ids, primary first. */
    public List<Integer> keyIds() {
        return Collections.unmodifiableList(ids);
    }

    /** Seals {@code plaintext} under the primary key, bound to {@code key}'s namespace and id. */
    public byte[] seal(SessionKey key, byte[] plaintext) {
        byte[] out = new byte[OVERHEAD + plaintext.length];
        out[0] = (byte) FORMAT_VERSION;
        out[1] = (byte) primaryId;
        byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, HEADER_LENGTH, NONCE_LENGTH);
        try {
            Cipher c = CIPHER.get();
            c.init(Cipher.ENCRYPT_MODE, keys[primaryId], new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            c.updateAAD(associatedData(out, key));
            int n = c.doFinal(plaintext, 0, plaintext.length, out, HEADER_LENGTH + NONCE_LENGTH);
            if (n != plaintext.length + TAG_LENGTH) {
                throw new IllegalStateException("unexpected AES-GCM output length");
            }
            return out;
        } catch (GeneralSecurityException e) {
            // AES-GCM is mandatory in every JDK: this is a broken runtime, not bad input.
            throw new IllegalStateException("AES-GCM sealing failed", e);
        }
    }

    /**
     * Opens a blob made by {@link #seal} for the same {@code key}; {@link InvalidRecordException} if it
     * is malformed, truncated, tampered with, sealed for another namespace/id, or under an unknown key.
     */
    public byte[] open(SessionKey key, byte[] sealed) {
        if (sealed == null || sealed.length < OVERHEAD) {
            throw new InvalidRecordException("sealed record too short");
        }
        int version = sealed[0] & 0xFF;
        if (version != FORMAT_VERSION) {
            throw new InvalidRecordException("unknown sealed record format version " + version);
        }
        int keyId = sealed[1] & 0xFF;
        SecretKey k = keys[keyId];
        if (k == null) {
            throw new InvalidRecordException("sealed under unknown key id " + keyId);
        }
        try {
            Cipher c = CIPHER.get();
            c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(TAG_LENGTH * 8, sealed, HEADER_LENGTH, NONCE_LENGTH));
            c.updateAAD(associatedData(sealed, key));
            int offset = HEADER_LENGTH + NONCE_LENGTH;
            return c.doFinal(sealed, offset, sealed.length - offset);
        } catch (AEADBadTagException e) {
            throw new InvalidRecordException("sealed record failed authentication"
                    + " (tampered, truncated, or sealed for another namespace or id)");
        } catch (GeneralSecurityException e) {
            throw new InvalidRecordException("sealed record could not be opened: " + e.getClass().getSimpleName());
        }
    }

    private static byte[] associatedData(byte[] header, SessionKey key) {
        byte[] ns = key.namespace().getBytes(StandardCharsets.UTF_8);
        byte[] aad = new byte[HEADER_LENGTH + 1 + 1 + ns.length + SessionId.LENGTH];
        aad[0] = header[0];
        aad[1] = header[1];
        aad[2] = (byte) key.protocol().code(); // 0x03 TLS 1.2, 0x04 TLS 1.3
        // A namespace is at most 64 chars, so at most 192 UTF-8 bytes: one length byte suffices.
        aad[3] = (byte) ns.length;
        System.arraycopy(ns, 0, aad, 4, ns.length);
        System.arraycopy(key.id().toBytes(), 0, aad, 4 + ns.length, SessionId.LENGTH);
        return aad;
    }

    private static byte[] randomKey() {
        byte[] k = new byte[KEY_LENGTH];
        RANDOM.nextBytes(k);
        return k;
    }

    private static void checkId(int id) {
        if (id < 1 || id > 255) {
            throw new IllegalArgumentException("key id " + id + " outside 1..255");
        }
    }

    /** Key ids only, never key material. */
    @Override
    public String toString() {
        return "SealingKeyRing[primary=" + primaryId + ", keyIds=" + ids + "]";
    }
}
