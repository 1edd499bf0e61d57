package io.tlssessioncache.netty.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * One server {@code SSL} with its two memory BIOs (network input, network output), plus a native
 * scratch buffer for plaintext. Owned by exactly one engine and freed exactly once: by
 * {@link #free()} or, if the owner forgets, by a {@link Cleaner}. Not thread-safe: the owner
 * serializes calls (an {@code SSLEngine} is driven by one event loop).
 *
 * <p>OpenSSL's callbacks reach {@link SslCallbacks} through {@link SslUpcalls}.
 */
public final class NativeSsl {
    /** Largest TLS plaintext record. */
    public static final int MAX_PLAINTEXT = 16 * 1024;
    static final int PARAMS = 64;

    /** {@link #handshake()} results. */
    public static final int HANDSHAKE_DONE = 1;
    public static final int HANDSHAKE_WANT_READ = 2;
    /** {@link #read} result when the peer sent close_notify. */
    public static final int READ_CLOSED = -1;

    private static final int SSL_ERROR_SSL = 1;
    private static final int SSL_ERROR_WANT_READ = 2;
    private static final int SSL_ERROR_WANT_WRITE = 3;
    private static final int SSL_ERROR_SYSCALL = 5;
    private static final int SSL_ERROR_ZERO_RETURN = 6;
    private static final int SSL_RECEIVED_SHUTDOWN = 2;
    private static final int BIO_C_SET_BUF_MEM_EOF_RETURN = 130;

    private NativeSslContext context; // keeps the Java owner of the current SSL_CTX reachable
    private final MemorySegment ssl;
    private final MemorySegment rbio;
    private final MemorySegment wbio;
    private final MemorySegment scratch;
    private final MemorySegment params;
    private final SslCallbacks callbacks;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    private NativeSsl(NativeSslContext context, MemorySegment ssl, MemorySegment rbio, MemorySegment wbio,
                      MemorySegment block, SslCallbacks callbacks) {
        this.context = context;
        this.ssl = ssl;
        this.rbio = rbio;
        this.wbio = wbio;
        this.scratch = block.asSlice(0, MAX_PLAINTEXT);
        this.params = block.asSlice(MAX_PLAINTEXT, PARAMS);
        this.callbacks = callbacks;
        this.state = new State(ssl.address(), block);
        this.cleanable = NativeSslContext.CLEANER.register(this, state);
    }

    static NativeSsl create(NativeSslContext context, MemorySegment ctx, SslCallbacks callbacks) throws SSLException {
        MemorySegment ssl = MemorySegment.NULL;
        MemorySegment block = MemorySegment.NULL;
        try {
            OpenSsl.clearErrors();
            ssl = (MemorySegment) Native.SSL_new.invokeExact(ctx);
            if (ssl.address() == 0) {
                throw OpenSsl.exception("SSL_new failed");
            }
            MemorySegment method = (MemorySegment) Native.BIO_s_mem.invokeExact();
            MemorySegment rbio = (MemorySegment) Native.BIO_new.invokeExact(method);
            MemorySegment wbio = (MemorySegment) Native.BIO_new.invokeExact(method);
            if (rbio.address() == 0 || wbio.address() == 0) {
                if (rbio.address() != 0) {
                    int ignored = (int) Native.BIO_free.invokeExact(rbio);
                }
                if (wbio.address() != 0) {
                    int ignored = (int) Native.BIO_free.invokeExact(wbio);
                }
                throw OpenSsl.exception("BIO_new failed");
            }
            // An empty memory BIO means "retry later", not end of file.
            long ignored = (long) Native.BIO_ctrl.invokeExact(rbio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1L, MemorySegment.NULL);
            ignored = (long) Native.BIO_ctrl.invokeExact(wbio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1L, MemorySegment.NULL);
            Native.SSL_set_bio.invokeExact(ssl, rbio, wbio); // the SSL owns both BIOs from here on
            Native.SSL_set_accept_state.invokeExact(ssl);
            block = (MemorySegment) Native.malloc.invokeExact((long) MAX_PLAINTEXT + PARAMS);
            if (block.address() == 0) {
                throw new OutOfMemoryError("malloc of an engine buffer failed");
            }
            OpenSsl.LIVE_SSL.incrementAndGet();
            NativeSsl result = new NativeSsl(context, ssl, rbio, wbio, block, callbacks);
            SslUpcalls.register(ssl.address(), result);
            ssl = MemorySegment.NULL;
            return result;
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        } finally {
            if (ssl.address() != 0) {
                try {
                    Native.SSL_free.invokeExact(ssl);
                    if (block.address() != 0) {
                        Native.free.invokeExact(block);
                    }
                } catch (Throwable t) {
                    throw OpenSsl.rethrow(t);
                }
            }
        }
    }

    SslCallbacks callbacks() {
        return callbacks;
    }

    /**
     * Switches this SSL to another server context (certificate, key and session id context) before
     * the handshake reads the ClientHello: how one engine serves several names. Session callbacks,
     * verify mode and ticket count stay those of the context the SSL was made from; every context of
     * one {@code ResumingSslContext} is configured alike apart from its certificate.
     */
    public void useContext(NativeSslContext other) throws SSLException {
        ensureOpen();
        if (other == context) {
            return;
        }
        try {
            MemorySegment set = (MemorySegment) Native.SSL_set_SSL_CTX.invokeExact(ssl, other.handle());
            if (set.address() != other.handle().address()) {
                throw OpenSsl.exception("SSL_set_SSL_CTX failed");
            }
            context = other;
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /** Frees the SSL, its BIOs and the scratch buffer (once). */
    public void free() {
        cleanable.clean();
    }

    private void ensureOpen() {
        if (state.freed.get()) {
            throw new IllegalStateException("the SSL object was freed");
        }
    }

    // ---------------------------------------------------------------- network side (memory BIOs)

    /** Moves {@code length} bytes from {@code src} (position advanced) into OpenSSL's input BIO. */
    public void feed(ByteBuffer src, int length) throws SSLException {
        ensureOpen();
        try {
            int done = 0;
            while (done < length) {
                int n;
                if (src.isReadOnly()) {
                    int chunk = Math.min(length - done, MAX_PLAINTEXT);
                    MemorySegment.copy(MemorySegment.ofBuffer(src), JAVA_BYTE, done, scratch, JAVA_BYTE, 0, chunk);
                    n = (int) Native.BIO_write.invokeExact(rbio, scratch, chunk);
                } else {
                    MemorySegment seg = MemorySegment.ofBuffer(src).asSlice(done, length - done);
                    n = (int) Native.BIO_write_heap.invokeExact(rbio, seg, length - done);
                }
                if (n <= 0) {
                    throw OpenSsl.exception("BIO_write failed");
                }
                done += n;
            }
            src.position(src.position() + length);
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /** Bytes OpenSSL wrote for the network and nobody has taken yet. */
    public int pendingOutput() {
        ensureOpen();
        try {
            return (int) (long) Native.BIO_ctrl_pending.invokeExact(wbio);
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /** Network bytes fed in and not yet consumed by OpenSSL. */
    public int pendingInput() {
        ensureOpen();
        try {
            return (int) (long) Native.BIO_ctrl_pending.invokeExact(rbio);
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /** Moves up to {@code min(max, dst.remaining())} pending network bytes into {@code dst}; returns the count. */
    public int drain(ByteBuffer dst, int max) {
        ensureOpen();
        int want = Math.min(max, dst.remaining());
        if (want <= 0) {
            return 0;
        }
        try {
            MemorySegment seg = MemorySegment.ofBuffer(dst);
            int n = (int) Native.BIO_read_heap.invokeExact(wbio, seg, want);
            if (n <= 0) {
                OpenSsl.clearErrors();
                return 0;
            }
            dst.position(dst.position() + n);
            return n;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /** All pending network bytes as an array (used when the SSL is about to be freed). */
    public byte[] drainAll() {
        int pending = pendingOutput();
        if (pending == 0) {
            return new byte[0];
        }
        ByteBuffer out = ByteBuffer.allocate(pending);
        while (out.hasRemaining() && drain(out, out.remaining()) > 0) {
            // loop until the BIO is empty
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    // ---------------------------------------------------------------- TLS operations

    /** Runs the handshake as far as the input allows: {@link #HANDSHAKE_DONE} or {@link #HANDSHAKE_WANT_READ}. */
    public int handshake() throws SSLException {
        ensureOpen();
        try {
            OpenSsl.clearErrors();
            int r = (int) Native.SSL_do_handshake.invokeExact(ssl);
            if (r == 1) {
                return HANDSHAKE_DONE;
            }
            int err = (int) Native.SSL_get_error.invokeExact(ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                return HANDSHAKE_WANT_READ;
            }
            SSLHandshakeException e = new SSLHandshakeException(OpenSsl.drainErrors("TLS handshake failed" + reason(err)));
            throw e;
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /**
     * Decrypts into {@code dsts} (at most {@code max} bytes, at most one record): the byte count,
     * 0 when OpenSSL needs more input, or {@link #READ_CLOSED} after the peer's close_notify.
     */
    public int read(ByteBuffer[] dsts, int offset, int length, int max) throws SSLException {
        ensureOpen();
        int want = Math.min(max, MAX_PLAINTEXT);
        if (want <= 0) {
            return 0;
        }
        try {
            OpenSsl.clearErrors();
            ByteBuffer direct = firstWithRoom(dsts, offset, length, want);
            int r;
            if (direct != null) {
                // Straight into the caller's native memory: one copy fewer.
                r = (int) Native.SSL_read.invokeExact(ssl, MemorySegment.ofBuffer(direct), want);
                if (r > 0) {
                    direct.position(direct.position() + r);
                    return r;
                }
            } else {
                r = (int) Native.SSL_read.invokeExact(ssl, scratch, want);
                if (r > 0) {
                    scatter(r, dsts, offset, length);
                    return r;
                }
            }
            int err = (int) Native.SSL_get_error.invokeExact(ssl, r);
            if (err == SSL_ERROR_SYSCALL && receivedShutdown()) {
                // The peer's close_notify after a TLS 1.3 user_canceled (the JDK's client closes that way): OpenSSL
                // 3.2+ reports it as SYSCALL, not ZERO_RETURN (openssl/openssl#25254). A fatal alert would have
                // queued an error (SSL_ERROR_SSL), so received shutdown with nothing queued is a clean close.
                err = SSL_ERROR_ZERO_RETURN;
            }
            return switch (err) {
                case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE -> 0;
                case SSL_ERROR_ZERO_RETURN -> READ_CLOSED;
                default -> throw OpenSsl.exception("TLS read failed" + reason(err));
            };
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    private boolean receivedShutdown() throws Throwable {
        return ((int) Native.SSL_get_shutdown.invokeExact(ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
    }

    /** Encrypts up to {@code max} (≤ 16 KiB) bytes gathered from {@code srcs}; returns the bytes consumed. */
    public int write(ByteBuffer[] srcs, int offset, int length, int max) throws SSLException {
        ensureOpen();
        int limit = Math.min(max, MAX_PLAINTEXT);
        ByteBuffer direct = firstWithData(srcs, offset, length, limit);
        MemorySegment from;
        int n;
        if (direct != null) {
            n = Math.min(limit, direct.remaining()); // straight from the caller's native memory
            from = MemorySegment.ofBuffer(direct);
        } else {
            n = gather(srcs, offset, length, limit);
            from = scratch;
        }
        if (n == 0) {
            return 0;
        }
        try {
            OpenSsl.clearErrors();
            int r = (int) Native.SSL_write.invokeExact(ssl, from, n);
            if (r == n) {
                if (direct != null) {
                    direct.position(direct.position() + n);
                }
                return n;
            }
            int err = (int) Native.SSL_get_error.invokeExact(ssl, r);
            // A memory BIO grows, so SSL_write either writes everything or fails.
            throw OpenSsl.exception("TLS write failed" + reason(err));
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /** Writes close_notify to the output BIO (a no-op before the handshake finished). */
    public void shutdown() {
        ensureOpen();
        try {
            OpenSsl.clearErrors();
            int ignored = (int) Native.SSL_shutdown.invokeExact(ssl);
            OpenSsl.clearErrors();
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- state

    /** What the finished handshake negotiated. */
    public HandshakeInfo handshakeInfo() {
        ensureOpen();
        try {
            String protocol = SslReads.string((MemorySegment) Native.SSL_get_version.invokeExact(ssl));
            MemorySegment cipher = (MemorySegment) Native.SSL_get_current_cipher.invokeExact(ssl);
            String suite = cipher.address() == 0 ? null
                      : SslReads.string((MemorySegment) Native.SSL_CIPHER_standard_name.invokeExact(cipher));
            MemorySegment session = (MemorySegment) Native.SSL_get_session.invokeExact(ssl);
            byte[] id = new byte[0];
            long time = 0;
            if (session.address() != 0) {
                id = SslReads.sessionId(session, params);
                time = (long) Native.SSL_SESSION_get_time.invokeExact(session);
            }
            List<byte[]> peer = new ArrayList<>();
            MemorySegment leaf = (MemorySegment) Native.SSL_get1_peer_certificate.invokeExact(ssl);
            if (leaf.address() != 0) {
                try (Arena arena = Arena.ofConfined()) {
                    peer.add(SslReads.i2dX509(leaf, arena));
                } finally {
                    Native.X509_free.invokeExact(leaf);
                }
                MemorySegment chain = (MemorySegment) Native.SSL_get_peer_cert_chain.invokeExact(ssl);
                if (chain.address() != 0) {
                    int n = (int) Native.OPENSSL_sk_num.invokeExact(chain);
                    try (Arena arena = Arena.ofConfined()) {
                        for (int i = 0; i < n; i++) {
                            byte[] der = SslReads.i2dX509((MemorySegment) Native.OPENSSL_sk_value.invokeExact(chain, i), arena);
                            // On a server the chain excludes the leaf, but be robust if a build includes it.
                            if (i == 0 && Arrays.equals(der, peer.getFirst())) {
                                continue;
                            }
                            peer.add(der);
                        }
                    }
                }
            }
            boolean reused = (int) Native.SSL_session_reused.invokeExact(ssl) == 1;
            return new HandshakeInfo(protocol, suite, id, time, peer, SslReads.serverName(ssl), SslReads.alpnSelected(ssl, params), reused);
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
    }

    /**
     * What a finished handshake negotiated.
     *
     * @param protocol            e.g. {@code TLSv1.3}
     * @param cipherSuite         IANA name
     * @param sessionId           the current session's id (may be empty)
     * @param creationTimeSeconds the session's creation time, epoch seconds
     * @param peerCertificates    DER, leaf first; empty when the client sent none
     * @param serverName          SNI or null
     * @param applicationProtocol ALPN or null
     * @param reused              whether the session was resumed
     */
    public record HandshakeInfo(String protocol, String cipherSuite, byte[] sessionId, long creationTimeSeconds,
                                List<byte[]> peerCertificates, String serverName, String applicationProtocol,
                                boolean reused) {
    }

    // ---------------------------------------------------------------- helpers

    private static String reason(int err) {
        return switch (err) {
            case SSL_ERROR_SSL -> "";
            case SSL_ERROR_SYSCALL -> " (unexpected end of input)";
            default -> " (SSL_get_error " + err + ")";
        };
    }

    private void scatter(int n, ByteBuffer[] dsts, int offset, int length) {
        int done = 0;
        for (int i = offset; i < offset + length && done < n; i++) {
            ByteBuffer dst = dsts[i];
            int chunk = Math.min(dst.remaining(), n - done);
            if (chunk > 0) {
                MemorySegment.copy(scratch, JAVA_BYTE, done, MemorySegment.ofBuffer(dst), JAVA_BYTE, 0, chunk);
                dst.position(dst.position() + chunk);
                done += chunk;
            }
        }
        if (done != n) {
            throw new IllegalStateException("destination buffers too small: " + n + " decrypted, " + done + " stored");
        }
    }

    /** The first destination with room, if it is direct and can take all {@code want} bytes. */
    private static ByteBuffer firstWithRoom(ByteBuffer[] dsts, int offset, int length, int want) {
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = dsts[i];
            if (b.hasRemaining()) {
                return b.isDirect() && b.remaining() >= want ? b : null;
            }
        }
        return null;
    }

    /** The first source with data, if it is direct and holds at least {@code limit} bytes or is the only one left. */
    private static ByteBuffer firstWithData(ByteBuffer[] srcs, int offset, int length, int limit) {
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = srcs[i];
            if (b.hasRemaining()) {
                if (!b.isDirect()) {
                    return null;
                }
                if (b.remaining() >= limit) {
                    return b;
                }
                for (int j = i + 1; j < offset + length; j++) {
                    if (srcs[j].hasRemaining()) {
                        return null; // spread over several buffers: gather
                    }
                }
                return b; // the last bytes
            }
        }
        return null;
    }

    private int gather(ByteBuffer[] srcs, int offset, int length, int max) {
        int done = 0;
        for (int i = offset; i < offset + length && done < max; i++) {
            ByteBuffer src = srcs[i];
            int chunk = Math.min(src.remaining(), max - done);
            if (chunk > 0) {
                MemorySegment.copy(MemorySegment.ofBuffer(src), JAVA_BYTE, 0, scratch, JAVA_BYTE, done, chunk);
                src.position(src.position() + chunk);
                done += chunk;
            }
        }
        return done;
    }

    /** Frees the native side once; holds addresses only, never the owner. */
    private static final class State implements Runnable {
        final long ssl;
        final MemorySegment block; // sized by its layout, global scope: holds no reference to the owner
        final AtomicBoolean freed = new AtomicBoolean();

        State(long ssl, MemorySegment block) {
            this.ssl = ssl;
            this.block = block;
        }

        @Override
        public void run() {
            if (!freed.compareAndSet(false, true)) {
                return;
            }
            SslUpcalls.unregister(ssl);
            try {
                Native.SSL_free.invokeExact(MemorySegment.ofAddress(ssl));
                block.fill((byte) 0); // the scratch buffer held plaintext
                Native.free.invokeExact(block);
            } catch (Throwable t) {
                throw OpenSsl.rethrow(t);
            } finally {
                OpenSsl.LIVE_SSL.decrementAndGet();
            }
        }
    }
}
