package io.tlssessioncache.core;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A TLS 1.3 PSK identity (ticket) or TLS 1.2 session id: 32 random bytes that mean nothing.
 *
 * <p>The id is the lookup key of the session store. It carries no state and no structure, so a
 * client learns nothing from it and a store never trusts it: lookups are by exact value only.
 * Instances are immutable; {@link #equals} compares in constant time.
 */
public final class SessionId {
    /** The only accepted length, in bytes (OpenSSL's {@code SSL_MAX_SSL_SESSION_ID_LENGTH}). */
    public static final int LENGTH = 32;

    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;
    private final int hash;

    private SessionId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** A fresh id from a {@link SecureRandom}. */
    public static SessionId random() {
        byte[] b = new byte[LENGTH];
        RANDOM.nextBytes(b);
        return new SessionId(b);
    }

    /** Copies {@code bytes}; throws {@link IllegalArgumentException} unless it is exactly 32 bytes. */
    public static SessionId of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("a session id is " + LENGTH + " bytes, got "
                    + (bytes == null ? "null" : bytes.length));
        }
        return new SessionId(bytes.clone());
    }

    /** Copies {@code length} bytes of {@code src} from {@code offset}; length must be 32. */
    public static SessionId of(byte[] src, int offset, int length) {
        if (length != LENGTH) {
            throw new IllegalArgumentException("a session id is " + LENGTH + " bytes, got " + length);
        }
        return new SessionId(Arrays.copyOfRange(src, offset, offset + length));
    }

    /** Parses 64 hex digits (either case); throws {@link IllegalArgumentException} otherwise. */
    public static SessionId fromHex(String hex) {
        if (hex == null || hex.length() != LENGTH * 2) {
            throw new IllegalArgumentException("a session id is " + (LENGTH * 2) + " hex digits");
        }
        try {
            return new SessionId(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a session id is " + (LENGTH * 2) + " hex digits");
        }
    }

    /** A copy of the 32 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The 64 lower-case hex digits. */
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionId other && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** A short prefix only: enough to correlate log lines, never the whole lookup key. */
    @Override
    public String toString() {
        return "SessionId[" + HEX.formatHex(bytes, 0, 4) + "…]";
    }
}
