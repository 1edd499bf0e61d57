package io.tlssessioncache.netty.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The functions OpenSSL calls back into Java (new session, session lookup, ALPN selection): one
 * JVM-global upcall stub each, so no callback can ever jump into freed code. A callback finds its
 * Java owner through a registry keyed by the {@code SSL*} address (only that number crosses into
 * native code, never a Java object); the registry holds the {@link NativeSsl} weakly, so a
 * forgotten one can still be collected and cleaned. Every upcall catches {@code Throwable}: an
 * exception escaping an upcall would end the JVM.
 */
final class SslUpcalls {
    private SslUpcalls() {
    }

    private static final Logger LOG = LoggerFactory.getLogger(SslUpcalls.class);

    private static final int SSL_TLSEXT_ERR_OK = 0;
    private static final int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    private static final int SSL_TLSEXT_ERR_NOACK = 3;

    private static final ConcurrentHashMap<Long, WeakReference<NativeSsl>> REGISTRY = new ConcurrentHashMap<>();

    static final MemorySegment NEW_SESSION_STUB;
    static final MemorySegment GET_SESSION_STUB;
    static final MemorySegment ALPN_SELECT_STUB;

    static {
        if (OpenSsl.isAvailable()) {
            NEW_SESSION_STUB = Native.upcall(SslUpcalls.class, "onNewSession",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            // Arguments with their target sizes: no reinterpret on the handshake path.
            GET_SESSION_STUB = Native.upcall(SslUpcalls.class, "onGetSession",
                    FunctionDescriptor.of(ADDRESS, ADDRESS, Native.LOOKUP_ID, JAVA_INT, ADDRESS.withTargetLayout(JAVA_INT)));
            ALPN_SELECT_STUB = Native.upcall(SslUpcalls.class, "onAlpnSelect",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS.withTargetLayout(ADDRESS),
                            ADDRESS.withTargetLayout(JAVA_BYTE), Native.ALPN_LIST, JAVA_INT, ADDRESS));
        } else {
            NEW_SESSION_STUB = GET_SESSION_STUB = ALPN_SELECT_STUB = null;
        }
    }

    static void register(long ssl, NativeSsl owner) {
        REGISTRY.put(ssl, new WeakReference<>(owner));
    }

    static void unregister(long ssl) {
        REGISTRY.remove(ssl);
    }

    private static SslCallbacks owner(MemorySegment ssl) {
        WeakReference<NativeSsl> ref = REGISTRY.get(ssl.address());
        NativeSsl n = ref == null ? null : ref.get();
        return n == null ? null : n.callbacks();
    }

    // ---------------------------------------------------------------- upcalls (each catches Throwable)

    /** {@code int new_session_cb(SSL *, SSL_SESSION *)}: returns 0, we keep no reference. */
    static int onNewSession(MemorySegment ssl, MemorySegment session) {
        try {
            SslCallbacks cb = owner(ssl);
            if (cb == null) {
                return 0;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment lenOut = arena.allocate(JAVA_INT);
                byte[] id = SslReads.sessionId(session, lenOut);
                int len = (int) Native.i2d_SSL_SESSION.invokeExact(session, MemorySegment.NULL);
                if (len <= 0) {
                    OpenSsl.clearErrors();
                    return 0;
                }
                MemorySegment buf = arena.allocate(len);
                MemorySegment pp = arena.allocate(ADDRESS);
                pp.set(ADDRESS, 0, buf);
                int n = (int) Native.i2d_SSL_SESSION.invokeExact(session, pp);
                byte[] state = buf.asSlice(0, n).toArray(JAVA_BYTE);
                buf.fill((byte) 0); // the serialized session holds the resumption secret
                int version = (int) Native.SSL_SESSION_get_protocol_version.invokeExact(session);
                MemorySegment cipher = (MemorySegment) Native.SSL_SESSION_get0_cipher.invokeExact(session);
                String suite = cipher.address() == 0 ? null
                        : SslReads.string((MemorySegment) Native.SSL_CIPHER_standard_name.invokeExact(cipher));
                long time = (long) Native.SSL_SESSION_get_time.invokeExact(session);
                byte[] peer = null;
                MemorySegment leaf = (MemorySegment) Native.SSL_get1_peer_certificate.invokeExact(ssl);
                if (leaf.address() != 0) {
                    try {
                        peer = SslReads.i2dX509(leaf, arena);
                    } finally {
                        Native.X509_free.invokeExact(leaf);
                    }
                }
                cb.sessionCreated(new NewSession(id, state, version, suite, SslReads.serverName(ssl),
                        SslReads.alpnSelected(ssl, arena.allocate(32)), peer, time));
            }
        } catch (Throwable t) {
            LOG.debug("new-session callback failed: {}", t.getClass().getName());
        }
        return 0;
    }

    /** {@code SSL_SESSION *get_session_cb(SSL *, const unsigned char *id, int len, int *copy)}. */
    static MemorySegment onGetSession(MemorySegment ssl, MemorySegment data, int len, MemorySegment copy) {
        try {
            copy.set(JAVA_INT, 0, 0); // whatever we return belongs to OpenSSL
            SslCallbacks cb = owner(ssl);
            if (cb == null || len <= 0 || len > Native.MAX_LOOKUP_ID) {
                return MemorySegment.NULL;
            }
            byte[] id = data.asSlice(0, len).toArray(JAVA_BYTE);
            byte[] state = cb.lookupSession(id);
            if (state == null || state.length == 0) {
                return MemorySegment.NULL;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(state.length);
                buf.copyFrom(MemorySegment.ofArray(state));
                Arrays.fill(state, (byte) 0);
                MemorySegment pp = arena.allocate(ADDRESS);
                pp.set(ADDRESS, 0, buf);
                MemorySegment session = (MemorySegment) Native.d2i_SSL_SESSION.invokeExact(MemorySegment.NULL, pp,
                        (long) buf.byteSize());
                buf.fill((byte) 0);
                if (session.address() == 0) {
                    OpenSsl.clearErrors(); // corrupt state: a miss, and a full handshake
                    LOG.debug("a stored session did not decode; full handshake");
                    cb.sessionUndecodable();
                    return MemorySegment.NULL;
                }
                return session;
            }
        } catch (Throwable t) {
            LOG.debug("get-session callback failed: {}", t.getClass().getName());
            return MemorySegment.NULL;
        }
    }

    /** {@code int alpn_select_cb(SSL *, const unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned int inlen, void *arg)}. */
    static int onAlpnSelect(MemorySegment ssl, MemorySegment out, MemorySegment outLen, MemorySegment in, int inLen,
                            MemorySegment arg) {
        try {
            SslCallbacks cb = owner(ssl);
            if (cb == null) {
                return SSL_TLSEXT_ERR_NOACK;
            }
            if (inLen < 0 || inLen > Native.MAX_ALPN_LIST) {
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            MemorySegment wire = in.asSlice(0, inLen);
            List<String> offered = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            for (int i = 0; i < inLen; ) {
                int l = Byte.toUnsignedInt(wire.get(JAVA_BYTE, i));
                if (l == 0 || i + 1 + l > inLen) {
                    return SSL_TLSEXT_ERR_ALERT_FATAL; // malformed list
                }
                offered.add(new String(wire.asSlice(i + 1, l).toArray(JAVA_BYTE), StandardCharsets.US_ASCII));
                offsets.add(i);
                i += 1 + l;
            }
            String chosen;
            try {
                chosen = cb.selectApplicationProtocol(offered);
            } catch (RuntimeException rejected) {
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            if (chosen == null) {
                return SSL_TLSEXT_ERR_NOACK;
            }
            int idx = offered.indexOf(chosen);
            if (idx < 0) {
                // Only a protocol the client offered may be selected: point into the client's own list.
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            int at = offsets.get(idx);
            out.set(ADDRESS, 0, wire.asSlice(at + 1));
            outLen.set(JAVA_BYTE, 0, wire.get(JAVA_BYTE, at));
            return SSL_TLSEXT_ERR_OK;
        } catch (Throwable t) {
            LOG.debug("ALPN callback failed: {}", t.getClass().getName());
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }
}
