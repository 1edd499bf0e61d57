package io.tlssessioncache.netty.internal;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A minimal blocking OpenSSL 3 TLS <em>client</em> over a plain IPv4 socket, for load generation and
 * tests: one {@link #connect} is one TCP connection, one handshake (offering a {@link ClientSession}
 * if given), one small request/response exchange, a close_notify and a close.
 *
 * <p>The response is read before the session is taken from the connection, because a TLS 1.3
 * server sends its NewSessionTicket(s) after the handshake: the {@code SSL_read} that returns the
 * response has processed them, so {@code SSL_get1_session} returns the newest ticket.
 *
 * <p>The server certificate is not verified (this client measures handshakes against servers it
 * started itself on loopback); it must never be used to talk to anything else. Every socket has
 * read/write timeouts, so a connection never blocks longer than {@link Builder#timeout}. Thread-safe:
 * one context, any number of threads calling {@link #connect} at once. Linux only (socket ABI).
 */
public final class NativeClient implements AutoCloseable {

    private static final int TLS1_2_VERSION = 0x0303;
    private static final int TLS1_3_VERSION = 0x0304;
    private static final int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    private static final int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    private static final int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
    private static final int SSL_FILETYPE_PEM = 1;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;
    private static final int SO_ERROR = 4;
    private static final int EINTR = 4;
    private static final int POLLOUT = 4;
    private static final int SSL_ERROR_WANT_READ = 2;
    private static final int SSL_ERROR_WANT_WRITE = 3;

    private final MemorySegment ctx;
    private final String serverName;
    private final long timeoutMillis;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NativeClient(MemorySegment ctx, String serverName, long timeoutMillis) {
        this.ctx = ctx;
        this.serverName = serverName;
        this.timeoutMillis = timeoutMillis;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What one {@link #connect} saw. {@code session} (may be null) belongs to the caller, who closes it. */
    public record Handshake(boolean reused, String protocol, ClientSession session) {
    }

    /**
     * Connects to {@code address} (IPv4), handshakes (offering {@code resume} when not null), writes
     * {@code request}, reads until {@code responseBytes} bytes arrived, then closes the connection.
     *
     * @throws IOException when the connection or handshake fails or times out (OpenSSL's reason in the message)
     */
    public Handshake connect(InetSocketAddress address, ClientSession resume, byte[] request, int responseBytes)
            throws IOException {
        if (closed.get()) {
            throw new IllegalStateException("client closed");
        }
        int fd = openSocket(address);
        MemorySegment ssl = MemorySegment.NULL;
        try (Arena arena = Arena.ofConfined()) {
            ssl = (MemorySegment) Native.SSL_new.invokeExact(ctx);
            if (ssl.equals(MemorySegment.NULL)) {
                throw new IOException(OpenSsl.drainErrors("SSL_new"));
            }
            if ((int) H.SSL_set_fd.invokeExact(ssl, fd) != 1) {
                throw new IOException(OpenSsl.drainErrors("SSL_set_fd"));
            }
            if (serverName != null) {
                long ignored = (long) H.SSL_ctrl.invokeExact(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, 0L,
                        arena.allocateFrom(serverName));
            }
            if (resume != null) {
                if ((int) H.SSL_set_session.invokeExact(ssl, resume.pointer()) != 1) {
                    throw new IOException(OpenSsl.drainErrors("SSL_set_session"));
                }
            }
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            MemorySegment s = ssl;
            retrying(s, "handshake", deadline, () -> (int) H.SSL_connect.invokeExact(s));
            boolean reused = (int) Native.SSL_session_reused.invokeExact(ssl) == 1;
            if (request.length > 0) {
                MemorySegment out = arena.allocate(request.length);
                MemorySegment.copy(request, 0, out, JAVA_BYTE, 0, request.length);
                retrying(s, "write", deadline, () -> (int) Native.SSL_write.invokeExact(s, out, request.length));
            }
            MemorySegment in = arena.allocate(Math.max(responseBytes, 64));
            int got = 0;
            while (got < responseBytes) {
                got += retrying(s, "read", deadline, () -> (int) Native.SSL_read.invokeExact(s, in, (int) in.byteSize()));
            }
            MemorySegment session = (MemorySegment) H.SSL_get1_session.invokeExact(ssl);
            MemorySegment version = (MemorySegment) Native.SSL_get_version.invokeExact(ssl);
            String protocol = version.reinterpret(32).getString(0);
            // Send close_notify; do not wait for the server's.
            int ignored = (int) Native.SSL_shutdown.invokeExact(ssl);
            return new Handshake(reused, protocol,
                    session.equals(MemorySegment.NULL) ? null : new ClientSession(session));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            try {
                if (!ssl.equals(MemorySegment.NULL)) {
                    Native.SSL_free.invokeExact(ssl);
                }
                int ignored = (int) H.close.invokeExact(fd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    @Override
    public void close() {
        freeOnce(closed, Native.SSL_CTX_free, ctx);
    }

    /**
     * Frees {@code pointer} with {@code free} (a {@code void f(void *)} such as {@code SSL_CTX_free}) on
     * the first call only, so that closing twice never frees twice.
     */
    static void freeOnce(AtomicBoolean closed, MethodHandle free, MemorySegment pointer) {
        if (closed.compareAndSet(false, true)) {
            try {
                free.invokeExact(pointer);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    private int openSocket(InetSocketAddress address) throws IOException {
        if (!(address.getAddress() instanceof Inet4Address v4)) {
            throw new IOException("IPv4 addresses only: " + address);
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) H.socket.invokeExact(AF_INET, SOCK_STREAM, 0);
            if (fd < 0) {
                throw new IOException("socket() failed");
            }
            boolean ok = false;
            try {
                MemorySegment tv = arena.allocate(16);
                tv.set(JAVA_LONG, 0, timeoutMillis / 1000);
                tv.set(JAVA_LONG, 8, (timeoutMillis % 1000) * 1000);
                int ignored = (int) H.setsockopt.invokeExact(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
                ignored = (int) H.setsockopt.invokeExact(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16);
                MemorySegment one = arena.allocateFrom(JAVA_INT, 1);
                ignored = (int) H.setsockopt.invokeExact(fd, IPPROTO_TCP, TCP_NODELAY, one, 4);
                // struct sockaddr_in: family (host order), port and address (network order), 8 zero bytes.
                MemorySegment sa = arena.allocate(16);
                sa.set(JAVA_BYTE, 0, (byte) AF_INET);
                sa.set(JAVA_BYTE, 1, (byte) 0);
                sa.set(JAVA_BYTE, 2, (byte) (address.getPort() >> 8));
                sa.set(JAVA_BYTE, 3, (byte) address.getPort());
                MemorySegment.copy(v4.getAddress(), 0, sa, JAVA_BYTE, 4, 4);
                MemorySegment state = arena.allocate(H.CALL_STATE);
                int r = (int) H.connect.invokeExact(state, fd, sa, 16);
                if (r != 0) {
                    int errno = (int) H.ERRNO.get(state, 0L);
                    if (errno != EINTR) {
                        throw new IOException("connect to " + address + " failed (errno " + errno + ")");
                    }
                    // A signal (the JVM's profilers use them) interrupted connect; the kernel goes on
                    // connecting: wait for it by polling for writability, then read the outcome.
                    awaitConnected(arena, fd, address);
                }
                ok = true;
                return fd;
            } finally {
                if (!ok) {
                    int ignored = (int) H.close.invokeExact(fd);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void awaitConnected(Arena arena, int fd, InetSocketAddress address) throws Throwable {
        // struct pollfd { int fd; short events; short revents; }
        MemorySegment pfd = arena.allocate(8);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, (short) POLLOUT);
            pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 6, (short) 0);
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new IOException("connect to " + address + " timed out");
            }
            int n = (int) H.poll.invokeExact(pfd, 1L, (int) Math.min(left, Integer.MAX_VALUE));
            if (n > 0) {
                break;
            }
        }
        MemorySegment err = arena.allocate(JAVA_INT);
        MemorySegment len = arena.allocateFrom(JAVA_INT, 4);
        int r = (int) H.getsockopt.invokeExact(fd, SOL_SOCKET, SO_ERROR, err, len);
        if (r != 0 || err.get(JAVA_INT, 0) != 0) {
            throw new IOException("connect to " + address + " failed (errno " + err.get(JAVA_INT, 0) + ")");
        }
    }

    /**
     * Runs an SSL I/O call again while it reports WANT_READ/WANT_WRITE: on a blocking socket that only
     * happens when a signal interrupted the system call or the socket timeout expired, so the
     * connection's deadline bounds the retries.
     */
    private int retrying(MemorySegment ssl, String what, long deadline, SslCall call) throws Throwable {
        while (true) {
            Native.ERR_clear_error.invokeExact();
            int r = call.run();
            if (r > 0) {
                return r;
            }
            int code = (int) Native.SSL_get_error.invokeExact(ssl, r);
            if ((code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) && System.nanoTime() < deadline) {
                continue;
            }
            throw new IOException(OpenSsl.drainErrors(what + " failed (SSL_get_error " + code + ")"));
        }
    }

    @FunctionalInterface
    private interface SslCall {
        int run() throws Throwable;
    }

    /** Options of a {@link NativeClient}. */
    public static final class Builder {
        private String protocol = "TLSv1.3";
        private Path certificateChain;
        private Path privateKey;
        private String serverName = "localhost";
        private Duration timeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /** The only protocol offered: "TLSv1.2" or "TLSv1.3" (default TLSv1.3). */
        public Builder protocol(String protocol) {
            if (!"TLSv1.2".equals(protocol) && !"TLSv1.3".equals(protocol)) {
                throw new IllegalArgumentException("TLSv1.2 or TLSv1.3, not " + protocol);
            }
            this.protocol = protocol;
            return this;
        }

        /** A client certificate (PEM chain, leaf first) and its unencrypted PEM key, for servers that ask. */
        public Builder clientCertificate(Path chain, Path key) {
            this.certificateChain = Objects.requireNonNull(chain, "chain");
            this.privateKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /** SNI host name sent (default "localhost"); null for none. */
        public Builder serverName(String serverName) {
            this.serverName = serverName;
            return this;
        }

        /** Socket read and write timeout of each connection (default 10 s). */
        public Builder timeout(Duration timeout) {
            if (timeout.toMillis() < 1) {
                throw new IllegalArgumentException("timeout must be at least 1 ms");
            }
            this.timeout = timeout;
            return this;
        }

        public NativeClient build() throws IOException {
            OpenSsl.ensureAvailable();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment method = (MemorySegment) H.TLS_client_method.invokeExact();
                MemorySegment ctx = (MemorySegment) Native.SSL_CTX_new.invokeExact(method);
                if (ctx.equals(MemorySegment.NULL)) {
                    throw new IOException(OpenSsl.drainErrors("SSL_CTX_new"));
                }
                boolean ok = false;
                try {
                    long version = "TLSv1.2".equals(protocol) ? TLS1_2_VERSION : TLS1_3_VERSION;
                    long r1 = (long) Native.SSL_CTX_ctrl.invokeExact(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, MemorySegment.NULL);
                    long r2 = (long) Native.SSL_CTX_ctrl.invokeExact(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, MemorySegment.NULL);
                    if (r1 != 1 || r2 != 1) {
                        throw new IOException(OpenSsl.drainErrors("setting the protocol version"));
                    }
                    if (certificateChain != null) {
                        if ((int) H.SSL_CTX_use_certificate_chain_file.invokeExact(ctx,
                                arena.allocateFrom(certificateChain.toString())) != 1
                                || (int) H.SSL_CTX_use_PrivateKey_file.invokeExact(ctx,
                                arena.allocateFrom(privateKey.toString()), SSL_FILETYPE_PEM) != 1) {
                            throw new IOException(OpenSsl.drainErrors("loading the client certificate"));
                        }
                    }
                    ok = true;
                    return new NativeClient(ctx, serverName, timeout.toMillis());
                } finally {
                    if (!ok) {
                        Native.SSL_CTX_free.invokeExact(ctx);
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /**
     * The downcalls only a client needs (libssl through {@link Native}, which links the engine's, and
     * libc sockets), resolved on first use; the calls both sides make are {@link Native}'s.
     */
    static final class H {
        private H() {
        }

        static final Linker LINKER = Native.LINKER;
        static final SymbolLookup LIBC = LINKER.defaultLookup();
        static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

        static final MethodHandle TLS_client_method = sslFast("TLS_client_method", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle SSL_CTX_use_certificate_chain_file = sslCall("SSL_CTX_use_certificate_chain_file",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SSL_CTX_use_PrivateKey_file = sslCall("SSL_CTX_use_PrivateKey_file",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        static final MethodHandle SSL_set_fd = sslFast("SSL_set_fd", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle SSL_ctrl = sslCall("SSL_ctrl",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
        static final MethodHandle SSL_set_session = sslFast("SSL_set_session",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SSL_connect = sslCall("SSL_connect", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SSL_get1_session = sslFast("SSL_get1_session", FunctionDescriptor.of(ADDRESS, ADDRESS));
        static final MethodHandle SSL_SESSION_is_resumable = sslFast("SSL_SESSION_is_resumable",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));

        static final MethodHandle socket = libc("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle setsockopt = libc("setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle connect = LINKER.downcallHandle(LIBC.findOrThrow("connect"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));
        static final MethodHandle close = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle poll = libc("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        static final MethodHandle getsockopt = libc("getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

        /** A libssl downcall that may block or call back (handshake, I/O), linked by {@link Native}. */
        private static MethodHandle sslCall(String name, FunctionDescriptor fd) {
            return Native.ssl(name, fd, false);
        }

        /** A trivial libssl accessor that never blocks nor calls back. */
        private static MethodHandle sslFast(String name, FunctionDescriptor fd) {
            return Native.ssl(name, fd, true);
        }

        /** A libc call (sockets): may block. */
        private static MethodHandle libc(String name, FunctionDescriptor fd) {
            return LINKER.downcallHandle(LIBC.findOrThrow(name), fd);
        }
    }
}
