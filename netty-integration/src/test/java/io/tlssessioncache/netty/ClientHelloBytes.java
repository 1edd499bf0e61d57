package io.tlssessioncache.netty;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test fixture: builds ClientHello bodies (and records) field by field, so each rule can be broken alone. */
final class ClientHelloBytes {
    int legacyVersion = 0x0303;
    byte[] sessionId = new byte[0];
    byte[] cipherSuites = {0x13, 0x01, 0x13, 0x02, (byte) 0xc0, 0x2f};
    byte[] compression = {0};
    boolean withExtensionsField = true;
    final List<byte[]> extensions = new ArrayList<>();

    static ClientHelloBytes tls13() {
        return new ClientHelloBytes().supportedVersions(0x0304, 0x0303).pskModes(1);
    }

    ClientHelloBytes sessionId(byte[] id) {
        this.sessionId = id;
        return this;
    }

    ClientHelloBytes extension(int type, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u16(o, type);
        u16(o, data.length);
        o.writeBytes(data);
        extensions.add(o.toByteArray());
        return this;
    }

    ClientHelloBytes sni(String name) {
        byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        entry.write(0);
        u16(entry, n.length);
        entry.writeBytes(n);
        return extension(0, vec16(entry.toByteArray()));
    }

    ClientHelloBytes supportedVersions(int... versions) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (int v : versions) {
            u16(o, v);
        }
        return extension(43, vec8(o.toByteArray()));
    }

    ClientHelloBytes pskModes(int... modes) {
        byte[] m = new byte[modes.length];
        for (int i = 0; i < modes.length; i++) {
            m[i] = (byte) modes[i];
        }
        return extension(45, vec8(m));
    }

    ClientHelloBytes alpn(String... names) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (String n : names) {
            o.writeBytes(vec8(n.getBytes(StandardCharsets.ISO_8859_1)));
        }
        return extension(16, vec16(o.toByteArray()));
    }

    /** pre_shared_key with these identities and one 32-byte binder each. */
    ClientHelloBytes psk(byte[]... identities) {
        return extension(41, pskData(identities, identities.length, 32));
    }

    static byte[] pskData(byte[][] identities, int binders, int binderLength) {
        ByteArrayOutputStream ids = new ByteArrayOutputStream();
        for (byte[] id : identities) {
            ids.writeBytes(vec16(id));
            ids.writeBytes(new byte[] {0, 0, 0x10, 0});
        }
        ByteArrayOutputStream bs = new ByteArrayOutputStream();
        for (int i = 0; i < binders; i++) {
            bs.writeBytes(vec8(new byte[binderLength]));
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(vec16(ids.toByteArray()));
        o.writeBytes(vec16(bs.toByteArray()));
        return o.toByteArray();
    }

    /** The ClientHello body (what SslClientHelloHandler hands to lookup). */
    byte[] body() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u16(o, legacyVersion);
        o.writeBytes(new byte[32]); // random
        o.writeBytes(vec8(sessionId));
        o.writeBytes(vec16(cipherSuites));
        o.writeBytes(vec8(compression));
        if (withExtensionsField) {
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            extensions.forEach(e::writeBytes);
            o.writeBytes(vec16(e.toByteArray()));
        }
        return o.toByteArray();
    }

    /** body() as one TLS record: record header, handshake header, body. */
    byte[] record() {
        return record(body());
    }

    static byte[] record(byte[] body) {
        ByteArrayOutputStream hs = new ByteArrayOutputStream();
        hs.write(1);
        hs.write(body.length >>> 16);
        u16(hs, body.length & 0xffff);
        hs.writeBytes(body);
        byte[] h = hs.toByteArray();
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        r.write(22);
        u16(r, 0x0301);
        u16(r, h.length);
        r.writeBytes(h);
        return r.toByteArray();
    }

    /**
     * The ClientHello body inside a client's first flight (one or more handshake records), as
     * SslClientHelloHandler reassembles it; {@code null} if the bytes do not hold a whole ClientHello.
     */
    static byte[] bodyOfRecords(byte[] flight) {
        ByteArrayOutputStream hs = new ByteArrayOutputStream();
        int i = 0;
        while (i + 5 <= flight.length && flight[i] == 22) {
            int len = ((flight[i + 3] & 0xff) << 8) | (flight[i + 4] & 0xff);
            if (i + 5 + len > flight.length) {
                return null;
            }
            hs.write(flight, i + 5, len);
            i += 5 + len;
            byte[] h = hs.toByteArray();
            if (h.length >= 4) {
                int bodyLen = ((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff);
                if (h.length >= 4 + bodyLen) {
                    return Arrays.copyOfRange(h, 4, 4 + bodyLen);
                }
            }
        }
        return null;
    }

    static byte[] vec8(byte[] b) {
        byte[] o = new byte[b.length + 1];
        o[0] = (byte) b.length;
        System.arraycopy(b, 0, o, 1, b.length);
        return o;
    }

    static byte[] vec16(byte[] b) {
        byte[] o = new byte[b.length + 2];
        o[0] = (byte) (b.length >>> 8);
        o[1] = (byte) b.length;
        System.arraycopy(b, 0, o, 2, b.length);
        return o;
    }

    static void u16(ByteArrayOutputStream o, int v) {
        o.write(v >>> 8);
        o.write(v);
    }

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
