package io.tlssessioncache.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Collects the ClientHello handshake message out of the payloads of the connection's first TLS
 * records (a large hello spans several). Only the engine's thread uses it; memory is bounded by
 * {@link #MAX_HELLO}. What is not a ClientHello, or is larger, is left to OpenSSL to judge.
 */
final class ClientHelloReassembler {
    /** Netty's {@code SslClientHelloHandler} limit; real hellos, post-quantum key shares included, are far smaller. */
    static final int MAX_HELLO = 64 * 1024;
    private static final int HEADER = 4;
    private static final int CLIENT_HELLO = 1;

    enum State { INCOMPLETE, COMPLETE, NOT_A_HELLO }

    private byte[] buf = new byte[512];
    private int length;
    private State state = State.INCOMPLETE;

    /** Appends one record's payload ({@code length} bytes of {@code src} from absolute index {@code from}). */
    State add(ByteBuffer src, int from, int count) {
        if (state != State.INCOMPLETE) {
            return state;
        }
        if (length + count > MAX_HELLO + HEADER) {
            return state = State.NOT_A_HELLO;
        }
        if (length + count > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + count));
        }
        src.get(from, buf, length, count);
        length += count;
        if (length >= 1 && (buf[0] & 0xff) != CLIENT_HELLO) {
            return state = State.NOT_A_HELLO;
        }
        if (length >= HEADER) {
            int body = ((buf[1] & 0xff) << 16) | ((buf[2] & 0xff) << 8) | (buf[3] & 0xff);
            if (body > MAX_HELLO) {
                return state = State.NOT_A_HELLO;
            }
            if (length >= HEADER + body) {
                length = HEADER + body; // whatever follows the hello is OpenSSL's business
                return state = State.COMPLETE;
            }
        }
        return state;
    }

    /** The ClientHello body (after its 4-byte header), once {@link State#COMPLETE}. */
    ByteBuf body() {
        return Unpooled.wrappedBuffer(buf, HEADER, length - HEADER);
    }
}
