package io.tlssessioncache.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The versioned binary form of a {@link SessionRecord}, with strict, bounded decoding.
 *
 * <p>Format version 1 (all integers big-endian, strings UTF-8):
 * <pre>
 *   u8   version             = 1
 *   u8   namespace length    1..255, then that many bytes
 *   32   session id
 *   u16  protocol code       0x0303 (TLS 1.2) or 0x0304 (TLS 1.3)
 *   u8   cipher length       1..255, then that many bytes
 *   u8   sni present         0 or 1; if 1: u16 length 0..1024, then that many bytes
 *   u8   alpn present        0 or 1; if 1: u8 length 0..255, then that many bytes
 *   u8   client id present   0 or 1; if 1: 32 bytes (SHA-256 of the client's leaf certificate)
 *   i64  createdAt           epoch milliseconds
 *   i64  expiresAt           epoch milliseconds, after createdAt
 *   u32  state length        0..65536, then that many bytes
 * </pre>
 * Nothing may follow the state. Times are stored with millisecond precision: a record with finer
 * instants decodes to its instants truncated to milliseconds.
 *
 * <p>{@link #decode} checks every length against the bytes that remain and against the maxima
 * above before allocating, so a hostile or corrupt input costs at most its own size and fails with
 * {@link InvalidRecordException} only. Messages name the field, never the bytes.
 */
public final class SessionRecordCodec {
    /** The format version this codec writes and the only one it reads. */
    public static final int VERSION = 1;
    /** Largest accepted engine state: OpenSSL sessions are ~150 bytes, a few KiB with client chains. */
    public static final int MAX_STATE_LENGTH = 64 * 1024;
    static final int MAX_SNI_LENGTH = 1024;
    static final int MAX_SHORT_STRING_LENGTH = 255;
    /** The longest valid encoding: every field at its maximum. Longer input is rejected unread. */
    public static final int MAX_ENCODED_LENGTH = 1 + 1 + MAX_SHORT_STRING_LENGTH + SessionId.LENGTH + 2
            + 1 + MAX_SHORT_STRING_LENGTH + 1 + 2 + MAX_SNI_LENGTH + 1 + 1 + MAX_SHORT_STRING_LENGTH
            + 1 + SessionRecord.CLIENT_IDENTITY_LENGTH + 8 + 8 + 4 + MAX_STATE_LENGTH;

    private SessionRecordCodec() {
    }

    /**
     * Encodes {@code r}; throws {@link IllegalArgumentException} if a field exceeds the format's
     * limits (which no record made by this library does).
     */
    public static byte[] encode(SessionRecord r) {
        byte[] ns = utf8(r.namespace());
        byte[] cipher = utf8(r.cipherSuite());
        byte[] sni = r.serverName() == null ? null : utf8(r.serverName());
        byte[] alpn = r.applicationProtocol() == null ? null : utf8(r.applicationProtocol());
        byte[] client = r.clientIdentity();
        byte[] state = r.state();
        checkLength("namespace", ns.length, 1, MAX_SHORT_STRING_LENGTH);
        checkLength("cipher suite", cipher.length, 1, MAX_SHORT_STRING_LENGTH);
        if (sni != null) {
            checkLength("server name", sni.length, 0, MAX_SNI_LENGTH);
        }
        if (alpn != null) {
            checkLength("application protocol", alpn.length, 0, MAX_SHORT_STRING_LENGTH);
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
        int size = 1 + 1 + ns.length + SessionId.LENGTH + 2 + 1 + cipher.length
                + 1 + (sni == null ? 0 : 2 + sni.length)
                + 1 + (alpn == null ? 0 : 1 + alpn.length)
                + 1 + (client == null ? 0 : SessionRecord.CLIENT_IDENTITY_LENGTH)
                + 8 + 8 + 4 + state.length;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) VERSION);
        b.put((byte) ns.length).put(ns);
        b.put(r.id().toBytes());
        b.putShort((short) r.protocol().code());
        b.put((byte) cipher.length).put(cipher);
        if (sni == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) 1).putShort((short) sni.length).put(sni);
        }
        if (alpn == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) 1).put((byte) alpn.length).put(alpn);
        }
        if (client == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) 1).put(client);
        }
        b.putLong(created).putLong(expires);
        b.putInt(state.length).put(state);
        return b.array();
    }

    /** Decodes bytes made by {@link #encode}; anything else fails with {@link InvalidRecordException}. */
    public static SessionRecord decode(byte[] bytes) {
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
        String namespace = in.string("namespace", in.u8("namespace length"), 1, MAX_SHORT_STRING_LENGTH);
        byte[] id = in.bytes("session id", SessionId.LENGTH);
        int protocolCode = in.u16("protocol");
        String cipher = in.string("cipher suite", in.u8("cipher suite length"), 1, MAX_SHORT_STRING_LENGTH);
        String sni = in.presence("server name presence")
                ? in.string("server name", in.u16("server name length"), 0, MAX_SNI_LENGTH) : null;
        String alpn = in.presence("application protocol presence")
                ? in.string("application protocol", in.u8("application protocol length"), 0, MAX_SHORT_STRING_LENGTH)
                : null;
        byte[] client = in.presence("client identity presence")
                ? in.bytes("client identity", SessionRecord.CLIENT_IDENTITY_LENGTH) : null;
        long created = in.i64("createdAt");
        long expires = in.i64("expiresAt");
        long stateLength = in.u32("state length");
        if (stateLength > MAX_STATE_LENGTH) {
            throw new InvalidRecordException("state length " + stateLength + " exceeds " + MAX_STATE_LENGTH);
        }
        byte[] state = in.bytes("state", (int) stateLength);
        if (in.remaining() != 0) {
            throw new InvalidRecordException(in.remaining() + " trailing bytes after the record");
        }
        TlsProtocol protocol;
        try {
            protocol = TlsProtocol.ofCode(protocolCode);
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException("unknown protocol code 0x" + Integer.toHexString(protocolCode));
        }
        try {
            return new SessionRecord(new SessionKey(namespace, SessionId.of(id)), protocol, cipher, sni, alpn,
                    client, Instant.ofEpochMilli(created), Instant.ofEpochMilli(expires), state);
        } catch (IllegalArgumentException | NullPointerException | java.time.DateTimeException e) {
            // The record's own invariants (namespace length, expiresAt after createdAt, ...).
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

        int u16(String field) {
            need(field, 2);
            int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
            pos += 2;
            return v;
        }

        long u32(String field) {
            need(field, 4);
            long v = ((long) (b[pos] & 0xFF) << 24) | ((b[pos + 1] & 0xFF) << 16)
                    | ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
            pos += 4;
            return v;
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

        boolean presence(String field) {
            int v = u8(field);
            if (v > 1) {
                throw new InvalidRecordException(field + " flag must be 0 or 1, got " + v);
            }
            return v == 1;
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
                // Host names, cipher and ALPN names are ASCII: skip the strict decoder.
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
