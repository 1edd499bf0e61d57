package io.tlssessioncache.netty;

import io.netty.buffer.ByteBuf;
import io.tlssessioncache.core.SessionId;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads the few fields the session lookup needs from a ClientHello: legacy session id, SNI,
 * supported_versions, psk_key_exchange_modes, ALPN and the identities of pre_shared_key.
 *
 * <p>Input is the handshake message body exactly as {@link io.netty.handler.ssl.SslClientHelloHandler}
 * hands it to {@code lookup}: after the 4-byte handshake header (type 1, uint24 length), reassembled
 * from as many records as it took, from {@code readerIndex} to {@code writerIndex}. The buffer is only
 * read with absolute indices; its indices are left as they were and nothing is retained (ids are
 * copied), so the caller may release it at once.
 *
 * <p>Strict: every length is checked against what encloses it, vectors must fill their enclosing
 * field exactly, no bytes may follow the extensions, an extension type may appear once, and
 * pre_shared_key must be the last extension (RFC 8446 section 4.2.11). Anything else is a
 * {@link MalformedClientHelloException}, whose message never contains input bytes. Work and memory
 * are bounded by the input length (a ClientHello is at most 2^24 bytes, Netty's default limit 64 KiB).
 * Pure and thread-safe.
 */
final class ClientHelloParser {
    /** How many 32-byte PSK identities are kept; more are checked for form and dropped. */
    static final int MAX_PSK_IDENTITIES = 8;
    /** Longest SNI host name accepted (RFC 1035 names are shorter still). */
    static final int MAX_HOST_NAME_LENGTH = 255;

    static final int EXT_SERVER_NAME = 0;
    static final int EXT_ALPN = 16;
    static final int EXT_PRE_SHARED_KEY = 41;
    static final int EXT_SUPPORTED_VERSIONS = 43;
    static final int EXT_PSK_KEY_EXCHANGE_MODES = 45;

    static final int TLS_1_2 = 0x0303;
    static final int TLS_1_3 = 0x0304;

    private ClientHelloParser() {
    }

    /** Parses the readable bytes of {@code body}; {@link MalformedClientHelloException} if malformed. */
    static ClientHelloInfo parse(ByteBuf body) {
        return parse(new Reader(body, body.readerIndex(), body.writerIndex()));
    }

    private static ClientHelloInfo parse(Reader in) {
        int legacyVersion = in.u16("legacy_version");
        if (legacyVersion >> 8 != 3) {
            throw malformed("legacy_version is not SSL 3 / TLS");
        }
        in.skip(32, "random");
        int sessionIdLength = in.u8("legacy_session_id length");
        if (sessionIdLength > 32) {
            throw malformed("legacy_session_id longer than 32 bytes");
        }
        Optional<SessionId> sessionId = sessionIdLength == SessionId.LENGTH
                ? Optional.of(in.sessionId("legacy_session_id"))
                : Optional.empty();
        if (sessionIdLength != SessionId.LENGTH) {
            in.skip(sessionIdLength, "legacy_session_id");
        }
        Reader suites = in.vector16("cipher_suites");
        if (suites.remaining() < 2 || suites.remaining() % 2 != 0) {
            throw malformed("cipher_suites length is not a positive even number");
        }
        if (in.vector8("legacy_compression_methods").remaining() < 1) {
            throw malformed("legacy_compression_methods is empty");
        }

        Extensions ext = new Extensions();
        if (in.remaining() > 0) { // TLS 1.2 allows a ClientHello without the extensions field
            Reader extensions = in.vector16("extensions");
            if (in.remaining() != 0) {
                throw malformed("bytes after the extensions");
            }
            parseExtensions(extensions, ext);
        }

        boolean offersTls12 = ext.supportedVersions == null
                ? legacyVersion >= TLS_1_2
                : ext.supportedVersions.contains(TLS_1_2);
        boolean offersTls13 = ext.supportedVersions != null && ext.supportedVersions.contains(TLS_1_3);
        return new ClientHelloInfo(legacyVersion, sessionId, Optional.ofNullable(ext.serverName),
                offersTls13, offersTls12, ext.pskModes, ext.alpn, ext.pskIdentities);
    }

    private static final class Extensions {
        String serverName;
        List<Integer> supportedVersions;
        boolean pskModes;
        List<String> alpn = List.of();
        List<SessionId> pskIdentities = List.of();
    }

    private static void parseExtensions(Reader in, Extensions out) {
        // every type seen, checked for duplicates at the end: O(n log n) for n <= 2^16 / 4 extensions
        int[] types = new int[24];
        int count = 0;
        while (in.remaining() > 0) {
            int type = in.u16("extension type");
            Reader data = in.vector16("extension data");
            if (count == types.length) {
                types = Arrays.copyOf(types, count * 2);
            }
            types[count++] = type;
            switch (type) {
                case EXT_SERVER_NAME -> out.serverName = serverName(data);
                case EXT_SUPPORTED_VERSIONS -> out.supportedVersions = supportedVersions(data);
                case EXT_PSK_KEY_EXCHANGE_MODES -> out.pskModes = pskModes(data);
                case EXT_ALPN -> out.alpn = alpn(data);
                case EXT_PRE_SHARED_KEY -> {
                    if (in.remaining() != 0) {
                        throw malformed("pre_shared_key is not the last extension");
                    }
                    out.pskIdentities = pskIdentities(data);
                }
                default -> {
                    // not ours: its bounds were checked by vector16, its content is OpenSSL's business
                }
            }
        }
        Arrays.sort(types, 0, count);
        for (int i = 1; i < count; i++) {
            if (types[i] == types[i - 1]) {
                throw malformed("extension " + types[i] + " appears twice");
            }
        }
    }

    /** RFC 6066 section 3: a list holding one host_name (the only name type there is, and OpenSSL's rule). */
    private static String serverName(Reader ext) {
        Reader list = ext.vector16("server_name_list");
        ext.requireEnd("server_name");
        if (list.u8("server_name type") != 0) {
            throw malformed("server_name type is not host_name");
        }
        Reader name = list.vector16("host_name");
        if (list.remaining() != 0) {
            throw malformed("server_name_list holds more than one name");
        }
        return hostName(name);
    }

    /** ASCII letters, digits, hyphen (and underscore, which real names carry) in dot-separated 1–63 byte labels. */
    private static String hostName(Reader name) {
        int length = name.remaining();
        if (length == 0 || length > MAX_HOST_NAME_LENGTH) {
            throw malformed("host_name is empty or longer than " + MAX_HOST_NAME_LENGTH + " bytes");
        }
        char[] chars = new char[length];
        int label = 0;
        for (int i = 0; i < length; i++) {
            int c = name.u8("host_name");
            if (c == '.') {
                if (label == 0) {
                    throw malformed("host_name has an empty label");
                }
                label = 0;
            } else if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
                label++;
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                label++;
            } else {
                throw malformed("host_name holds a character outside letters, digits, '-', '_' and '.'");
            }
            if (label > 63) {
                throw malformed("host_name has a label longer than 63 bytes");
            }
            chars[i] = (char) c;
        }
        if (label == 0) {
            throw malformed("host_name ends with a dot");
        }
        return new String(chars);
    }

    /** RFC 8446 section 4.2.1: {@code ProtocolVersion versions<2..254>}. */
    private static List<Integer> supportedVersions(Reader ext) {
        Reader list = ext.vector8("supported_versions");
        ext.requireEnd("supported_versions");
        if (list.remaining() < 2 || list.remaining() % 2 != 0) {
            throw malformed("supported_versions length is not a positive even number");
        }
        List<Integer> versions = new ArrayList<>(list.remaining() / 2);
        while (list.remaining() > 0) {
            versions.add(list.u16("supported_versions"));
        }
        return versions;
    }

    /** RFC 8446 section 4.2.9: {@code PskKeyExchangeMode ke_modes<1..255>}; 0 = psk_ke, 1 = psk_dhe_ke. */
    private static boolean pskModes(Reader ext) {
        Reader list = ext.vector8("psk_key_exchange_modes");
        ext.requireEnd("psk_key_exchange_modes");
        if (list.remaining() < 1) {
            throw malformed("psk_key_exchange_modes is empty");
        }
        boolean known = false;
        while (list.remaining() > 0) {
            int mode = list.u8("psk_key_exchange_modes");
            known |= mode == 0 || mode == 1;
        }
        return known;
    }

    /** RFC 7301 section 3.1: {@code ProtocolName protocol_name_list<2..2^16-1>}, names {@code <1..2^8-1>}. */
    private static List<String> alpn(Reader ext) {
        Reader list = ext.vector16("protocol_name_list");
        ext.requireEnd("application_layer_protocol_negotiation");
        if (list.remaining() < 2) {
            throw malformed("protocol_name_list is empty");
        }
        List<String> names = new ArrayList<>();
        while (list.remaining() > 0) {
            Reader name = list.vector8("protocol name");
            if (name.remaining() == 0) {
                throw malformed("empty ALPN protocol name");
            }
            names.add(name.string());
        }
        return names;
    }

    /**
     * RFC 8446 section 4.2.11: {@code PskIdentity identities<7..2^16-1>} (identity {@code <1..2^16-1>}
     * plus a uint32 age) then {@code PskBinderEntry binders<33..2^16-1>} (each {@code <32..255>}),
     * one binder per identity.
     */
    private static List<SessionId> pskIdentities(Reader ext) {
        Reader identities = ext.vector16("identities");
        Reader binders = ext.vector16("binders");
        ext.requireEnd("pre_shared_key");
        if (identities.remaining() < 7) {
            throw malformed("identities is shorter than one identity");
        }
        List<SessionId> ours = new ArrayList<>(2);
        int identityCount = 0;
        while (identities.remaining() > 0) {
            Reader identity = identities.vector16("identity");
            identities.skip(4, "obfuscated_ticket_age");
            if (identity.remaining() == 0) {
                throw malformed("empty PSK identity");
            }
            if (identity.remaining() == SessionId.LENGTH && ours.size() < MAX_PSK_IDENTITIES) {
                ours.add(identity.sessionId("identity"));
            }
            identityCount++;
        }
        if (binders.remaining() < 33) {
            throw malformed("binders is shorter than one binder");
        }
        int binderCount = 0;
        while (binders.remaining() > 0) {
            int length = binders.vector8("binder").remaining();
            if (length < 32) {
                throw malformed("PSK binder shorter than 32 bytes");
            }
            binderCount++;
        }
        if (binderCount != identityCount) {
            throw malformed("PSK binder count differs from identity count");
        }
        return ours;
    }

    private static MalformedClientHelloException malformed(String what) {
        return new MalformedClientHelloException("malformed ClientHello: " + what);
    }

    /** A bounded window [pos, end) over the buffer; every read checks the bound first. */
    private static final class Reader {
        private final ByteBuf buf;
        private int pos;
        private final int end;

        Reader(ByteBuf buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        int remaining() {
            return end - pos;
        }

        private void need(int n, String what) {
            if (end - pos < n) {
                throw malformed(what + " runs past its enclosing field");
            }
        }

        int u8(String what) {
            need(1, what);
            return buf.getUnsignedByte(pos++);
        }

        int u16(String what) {
            need(2, what);
            int v = buf.getUnsignedShort(pos);
            pos += 2;
            return v;
        }

        void skip(int n, String what) {
            need(n, what);
            pos += n;
        }

        Reader vector8(String what) {
            return sub(u8(what + " length"), what);
        }

        Reader vector16(String what) {
            return sub(u16(what + " length"), what);
        }

        private Reader sub(int length, String what) {
            need(length, what);
            Reader r = new Reader(buf, pos, pos + length);
            pos += length;
            return r;
        }

        SessionId sessionId(String what) {
            need(SessionId.LENGTH, what);
            byte[] id = new byte[SessionId.LENGTH];
            buf.getBytes(pos, id);
            pos += SessionId.LENGTH;
            return SessionId.of(id);
        }

        /** The rest as ISO-8859-1 (ALPN names are bytes; this keeps every byte as one char). */
        String string() {
            String s = buf.toString(pos, end - pos, StandardCharsets.ISO_8859_1);
            pos = end;
            return s;
        }

        void requireEnd(String what) {
            if (pos != end) {
                throw malformed(what + " has bytes after its content");
            }
        }
    }
}
