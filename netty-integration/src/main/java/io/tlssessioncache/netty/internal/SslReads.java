package io.tlssessioncache.netty.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Reading values out of OpenSSL objects into Java ones: shared by the SSL wrapper and the upcalls. */
final class SslReads {
    private SslReads() {
    }

    static String string(MemorySegment p) {
        return p.address() == 0 ? null : p.getString(0, StandardCharsets.UTF_8); // a C_STRING pointer
    }

    static String serverName(MemorySegment ssl) {
        try {
            return string((MemorySegment) Native.SSL_get_servername.invokeExact(ssl, 0));
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    static byte[] sessionId(MemorySegment session, MemorySegment lenOut) throws Throwable {
        MemorySegment id = (MemorySegment) Native.SSL_SESSION_get_id.invokeExact(session, lenOut);
        int len = lenOut.get(JAVA_INT, 0);
        return id.address() == 0 || len <= 0 || len > Native.MAX_SESSION_ID ? new byte[0] : id.asSlice(0, len).toArray(JAVA_BYTE);
    }

    static String alpnSelected(MemorySegment ssl, MemorySegment params) throws Throwable {
        MemorySegment dataOut = params.asSlice(0, ADDRESS.byteSize());
        MemorySegment lenOut = params.asSlice(16, 4);
        dataOut.set(ADDRESS, 0, MemorySegment.NULL);
        lenOut.set(JAVA_INT, 0, 0);
        Native.SSL_get0_alpn_selected.invokeExact(ssl, dataOut, lenOut);
        MemorySegment data = dataOut.get(Native.ALPN_NAME, 0);
        int len = lenOut.get(JAVA_INT, 0);
        if (data.address() == 0 || len == 0) {
            return null;
        }
        return new String(data.asSlice(0, len).toArray(JAVA_BYTE), StandardCharsets.US_ASCII);
    }

    static byte[] i2dX509(MemorySegment x509, Arena arena) throws Throwable {
        int len = (int) Native.i2d_X509.invokeExact(x509, MemorySegment.NULL);
        if (len <= 0) {
            throw OpenSsl.exception("i2d_X509 failed");
        }
        MemorySegment buf = arena.allocate(len);
        MemorySegment pp = arena.allocate(ADDRESS);
        pp.set(ADDRESS, 0, buf);
        int n = (int) Native.i2d_X509.invokeExact(x509, pp); // advances *pp
        return buf.asSlice(0, n).toArray(JAVA_BYTE);
    }
}
