package io.tlssessioncache.redis;

import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.TlsProtocol;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The names the store uses in Redis, written and read in this one place (store, invalidation channel
 * and admin tools alike).
 *
 * <p>A session is the binary string key
 * <pre>
 *   PREFIX ':' '{' '}' TYPE NAMESPACE ID
 * </pre>
 * <ul>
 *   <li>{@code PREFIX ':'}: text ({@code tls-session:} by default), so ACL patterns such as
 *       {@code ~tls-session:*} confine a user to the store's keys;</li>
 *   <li>{@code {}}: an empty hash tag. Redis Cluster hashes only the part between the first
 *       {@code '{'} and the next {@code '}'} when that part is not empty; binary namespace and id bytes
 *       can hold both characters, which would pin every session of a namespace to one slot. An empty
 *       tag before them makes Redis hash the whole key, so sessions spread over all slots;</li>
 *   <li>{@code TYPE}: one byte, the low byte of the protocol's wire version (0x03 TLS 1.2, 0x04
 *       TLS 1.3), plus 0x10 when the namespace is stored packed: each protocol is its own key space;</li>
 *   <li>{@code NAMESPACE}: the namespace's bytes. A namespace of lower-case hex digits (what the TLS
 *       engine derives from the session id context) is stored as the bytes the digits spell, half
 *       the length; any other as UTF-8. Exactly one form is valid for a namespace;</li>
 *   <li>{@code ID}: the 32 raw id bytes.</li>
 * </ul>
 * That is 63 bytes for the engine's namespaces (32 hex digits) and the default prefix, against 109 for the text
 * layout {@code PREFIX:NAMESPACE:HEXID} of earlier versions, whose entries this store no longer
 * reads (they expire by their own TTL; a session found nowhere is a full handshake).
 *
 * <p>Besides sessions: the hash {@code PREFIX:revocations} and the pub/sub channel
 * {@code PREFIX:invalidate}. {@code SCAN MATCH} patterns ({@link #allPattern}, {@link #idPattern})
 * escape Redis' glob metacharacters in every byte that comes from the prefix or an id.
 */
final class KeyLayout {
    private static final byte[] HASH_TAG = {'{', '}'};
    private static final int PACKED = 0x10;
    private static final HexFormat HEX = HexFormat.of();

    private final String prefix;
    private final byte[] base; // PREFIX ':' '{' '}'

    KeyLayout(String prefix) {
        this.prefix = RedisStoreOptions.checkKeyPrefix(prefix);
        byte[] p = (prefix + ":").getBytes(StandardCharsets.UTF_8);
        this.base = Arrays.copyOf(p, p.length + HASH_TAG.length);
        System.arraycopy(HASH_TAG, 0, base, p.length, HASH_TAG.length);
    }

    String prefix() {
        return prefix;
    }

    /** {@code <prefix>:invalidate}. */
    String channel() {
        return prefix + ":invalidate";
    }

    /** {@code <prefix>:revocations}. */
    String revocationsKey() {
        return prefix + ":revocations";
    }

    /** The Redis key of a session. */
    byte[] key(SessionKey k) {
        boolean packed = isPackable(k.namespace());
        byte[] ns = packed ? HEX.parseHex(k.namespace()) : k.namespace().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(base.length + 1 + ns.length + SessionId.LENGTH);
        b.put(base).put((byte) (k.protocol().code() & 0xFF | (packed ? PACKED : 0))).put(ns).put(k.id().toBytes());
        return b.array();
    }

    /** The session key a Redis key names, or {@code null} if it is not a session entry of this layout. */
    SessionKey parse(byte[] raw) {
        int nsStart = base.length + 1;
        int nsLength = raw.length - nsStart - SessionId.LENGTH;
        if (nsLength < 1 || !Arrays.equals(raw, 0, base.length, base, 0, base.length)) {
            return null;
        }
        int type = raw[base.length] & 0xFF;
        TlsProtocol protocol;
        try {
            protocol = TlsProtocol.ofCode(0x0300 | (type & ~PACKED));
        } catch (IllegalArgumentException e) {
            return null;
        }
        String namespace;
        if ((type & PACKED) != 0) {
            namespace = HEX.formatHex(raw, nsStart, nsStart + nsLength);
        } else {
            namespace = utf8(raw, nsStart, nsLength);
            if (namespace == null || isPackable(namespace)) {
                return null; // not UTF-8, or in the form a packed namespace has: never written so
            }
        }
        try {
            return new SessionKey(namespace, protocol, SessionId.of(raw, raw.length - SessionId.LENGTH, SessionId.LENGTH));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** SCAN pattern for every session under the prefix (not the revocations hash). */
    byte[] allPattern() {
        ByteArrayOutputStream p = glob(base, base.length);
        p.write('*');
        return p.toByteArray();
    }

    /** SCAN pattern for one id in any namespace and either protocol. */
    byte[] idPattern(SessionId id) {
        ByteArrayOutputStream p = glob(base, base.length);
        p.write('?'); // the type byte: either protocol
        p.write('*'); // the namespace
        byte[] raw = id.toBytes();
        escape(p, raw, raw.length);
        return p.toByteArray();
    }

    /** A session key as people read it: {@code TLSv1.3 <64 hex id> in namespace <ns>}. */
    static String describe(SessionKey k) {
        return k.protocol().javaName() + " " + k.id().toHex() + " in namespace " + k.namespace();
    }

    private static ByteArrayOutputStream glob(byte[] literal, int length) {
        ByteArrayOutputStream p = new ByteArrayOutputStream(length + 48);
        escape(p, literal, length);
        return p;
    }

    /** Appends bytes so that Redis' glob matches them literally: {@code * ? [ ] \} get a backslash. */
    private static void escape(ByteArrayOutputStream p, byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte c = bytes[i];
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                p.write('\\');
            }
            p.write(c);
        }
    }

    /** Lower-case hex of even length: stored as the bytes it spells. */
    private static boolean isPackable(String ns) {
        if (ns.length() % 2 != 0) {
            return false;
        }
        for (int i = 0; i < ns.length(); i++) {
            char c = ns.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static String utf8(byte[] b, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
