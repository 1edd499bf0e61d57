package io.tlssessioncache.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The versioned binary form of a {@link SessionRecord}'s value, with strict, bounded decoding. The
 * key (namespace, protocol, id) is not part of it: a store keeps it in the entry's name, and a
 * sealed value is bound to it as associated data ({@link SealedRecordCodec}).
 *
 * <p>Format version 2 (all integers big-endian, strings UTF-8):
 * <pre>
 *   u8   version             = 2
 *   u8   flags               bit 0: server name present, bit 1: client identity present; others 0
 *   [u8  sni length 0..255, then that many bytes]            if bit 0
 *   [32  client identity (SHA-256 of the client's leaf certificate)]  if bit 1
 *   i64  createdAt           epoch milliseconds
 *   i64  expiresAt           epoch milliseconds, after createdAt
 *   ..   state               the rest: 0..65536 bytes
 * </pre>
 * Version 1 (which also held the namespace, id, protocol, cipher suite and ALPN protocol: copies of
 * the key or of what OpenSSL keeps in the state) is not read: such an entry is a miss, a full
 * handshake. Times are stored with millisecond precision: a record with finer instants decodes to
 * its instants truncated to milliseconds.
 *
 * <p>{@link #decode} checks every length against the bytes that remain and against the maxima
 * above before allocating, so a hostile or corrupt input costs at most its own size and fails with
 * {@link InvalidRecordException} only. Messages name the field, never the bytes. The encoding is
 * canonical: a record has exactly one.
 */
public final class SessionRecordCodec {
    /** The format version this codec writes and the only one it reads. */
    public static final int VERSION = 2;
    /** Largest accepted engine state: OpenSSL sessions are ~150 bytes, a few KiB with client chains. */
    public static final int MAX_STATE_LENGTH = 64 * 1024;
    /** Longest server name: OpenSSL refuses longer SNI host names ({@code TLSEXT_MAXLEN_host_name}). */
    static final int MAX_SNI_LENGTH = 255;
    private static final int HAS_SERVER_NAME = 1;
    private static final int HAS_CLIENT_IDENTITY = 2;
    /** The longest valid encoding: every field at its maximum. Longer input is rejected unread. */
    public static final int MAX_ENCODED_LENGTH = 1 + 1 + 1 + MAX_SNI_LENGTH + SessionRecord.CLIENT_IDENTITY_LENGTH
            + 8 + 8 + MAX_STATE_LENGTH;

    private SessionRecordCodec() {
    }

    /**
     * Encodes {@code r}'s value; throws {@link IllegalArgumentException} if a field exceeds the
     * format's limits (which no record made by this library's engine does).
     */
    public static byte[] encode(SessionRecord r) {
        byte[] sni = r.serverName() == null ? null : utf8(r.serverName());
        byte[] client = r.clientIdentity();
        byte[] state = r.state();
        if (sni != null) {
            checkLength("server name", sni.length, 0, MAX_SNI_LENGTH);
        }
        checkLength("state", state.length, 0, MAX_STATE_LENGTH);
        long created;
        long expires;
        try {
            created = r.createdAt().toEpochMilli();
            expires = r.expiresAt().toEpochMilli();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("record time out of range");
        }
        int size = 1 + 1 + (sni == null ? 0 : 1 + sni.length)
                + (client == null ? 0 : SessionRecord.CLIENT_IDENTITY_LENGTH) + 8 + 8 + state.length;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) VERSION);
        b.put((byte) ((sni == null ? 0 : HAS_SERVER_NAME) | (client == null ? 0 : HAS_CLIENT_IDENTITY)));
        if (sni != null) {
            b.put((byte) sni.length).put(sni);
        }
        if (client != null) {
            b.put(client);
        }
        b.putLong(created).putLong(expires);
        b.put(state);
        return b.array();
    }

    /**
     * Decodes a value made by {@link #encode} into the record stored under {@code key}; anything
     * else fails with {@link InvalidRecordException}.
     */
    public static SessionRecord decode(SessionKey key, byte[] bytes) {
        if (bytes == null) {
            throw new InvalidRecordException("record is null");
        }
        if (bytes.length > MAX_ENCODED_LENGTH) {
            throw new InvalidRecordException("record of " + bytes.length + " bytes exceeds " + MAX_ENCODED_LENGTH);
        }
        Reader in = new Reader(bytes);
        int version = in.u8("version");
        if (version != VERSION) {
            throw new InvalidRecordException("unknown record format version " + version);
        }
        int flags = in.u8("flags");
        if ((flags & ~(HAS_SERVER_NAME | HAS_CLIENT_IDENTITY)) != 0) {
            throw new InvalidRecordException("unknown record flags 0x" + Integer.toHexString(flags));
        }
        String sni = (flags & HAS_SERVER_NAME) != 0
                ? in.string("server name", in.u8("server name length"), 0, MAX_SNI_LENGTH) : null;
        byte[] client = (flags & HAS_CLIENT_IDENTITY) != 0
                ? in.bytes("client identity", SessionRecord.CLIENT_IDENTITY_LENGTH) : null;
        long created = in.i64("createdAt");
        long expires = in.i64("expiresAt");
        if (in.remaining() > MAX_STATE_LENGTH) {
            throw new InvalidRecordException("state of " + in.remaining() + " bytes exceeds " + MAX_STATE_LENGTH);
        }
        byte[] state = in.bytes("state", in.remaining());
        try {
            return new SessionRecord(key, sni, client, Instant.ofEpochMilli(created), Instant.ofEpochMilli(expires),
                    state);
        } catch (IllegalArgumentException | NullPointerException | java.time.DateTimeException e) {
            // The record's own invariants (expiresAt after createdAt, ...).
            throw new InvalidRecordException("invalid record: " + e.getMessage());
        }
    }

    private static void checkLength(String field, int length, int min, int max) {
        if (length < min || length > max) {
            throw new IllegalArgumentException(field + " is " + length + " bytes, must be " + min + ".." + max);
        }
    }

    private static byte[] utf8(String s) {
        // Fast path: without surrogates String.getBytes is exact. With them, a strict encoder
        // refuses an unpaired one instead of silently writing '?'.
        boolean surrogates = false;
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                surrogates = true;
                break;
            }
        }
        if (!surrogates) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid UTF-16 (unpaired surrogate)");
        }
    }

    /** Bounds-checked cursor: every read checks what remains first. */
    private static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] b) {
            this.b = b;
        }

        int remaining() {
            return b.length - pos;
        }

        private void need(String field, int n) {
            if (n > remaining()) {
                throw new InvalidRecordException("truncated record: " + field + " needs " + n
                        + " bytes, " + remaining() + " left");
            }
        }

        int u8(String field) {
            need(field, 1);
            return b[pos++] & 0xFF;
        }

        long i64(String field) {
            need(field, 8);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[pos + i] & 0xFF);
            }
            pos += 8;
            return v;
        }

        byte[] bytes(String field, int n) {
            need(field, n);
            byte[] out = new byte[n];
            System.arraycopy(b, pos, out, 0, n);
            pos += n;
            return out;
        }

        String string(String field, int length, int min, int max) {
            if (length < min || length > max) {
                throw new InvalidRecordException(field + " length " + length + " outside " + min + ".." + max);
            }
            need(field, length);
            boolean ascii = true;
            for (int i = pos; i < pos + length; i++) {
                if (b[i] < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                // Host names are ASCII (IDNs travel as punycode): skip the strict decoder.
                String s = new String(b, pos, length, StandardCharsets.US_ASCII);
                pos += length;
                return s;
            }
            try {
                String s = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b, pos, length))
                        .toString();
                pos += length;
                return s;
            } catch (CharacterCodingException e) {
                throw new InvalidRecordException(field + " is not valid UTF-8");
            }
        }
    }
}
