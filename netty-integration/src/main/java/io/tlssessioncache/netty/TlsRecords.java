package io.tlssessioncache.netty;

import io.tlssessioncache.netty.internal.NativeSsl;

import java.nio.ByteBuffer;

/** TLS record framing, as far as the engine needs it to hand OpenSSL whole records. */
final class TlsRecords {
    private TlsRecords() {
    }

    static final int RECORD_HEADER = 5;
    /** Upper bound of what one record adds to its plaintext (header, IV/nonce, MAC/tag, padding). */
    static final int MAX_RECORD_OVERHEAD = 325;
    static final int HANDSHAKE_RECORD = 22;
    /** {@link #length} results other than a length. */
    static final int INCOMPLETE = -1;
    static final int NOT_TLS = -2;
    private static final int MAX_RECORD = RECORD_HEADER + NativeSsl.MAX_PLAINTEXT + 2048;

    /** Length of the TLS record at {@code src}'s position, or {@link #INCOMPLETE} / {@link #NOT_TLS}. */
    static int length(ByteBuffer src) {
        int pos = src.position();
        if (src.remaining() < RECORD_HEADER) {
            return src.hasRemaining() && !plausibleType(src.get(pos)) ? NOT_TLS : INCOMPLETE;
        }
        if (!plausibleType(src.get(pos)) || src.get(pos + 1) != 3) {
            return NOT_TLS;
        }
        int len = RECORD_HEADER + (((src.get(pos + 3) & 0xff) << 8) | (src.get(pos + 4) & 0xff));
        if (len > MAX_RECORD) {
            return NOT_TLS;
        }
        return src.remaining() < len ? INCOMPLETE : len;
    }

    private static boolean plausibleType(byte type) {
        return type >= 20 && type <= 24;
    }
}
