package io.tlssessioncache.netty.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLException;

/**
 * One server {@code SSL_CTX}: owned by exactly one Java object and freed exactly once, by
 * {@link #close()} or, if that is forgotten, by a {@link Cleaner} when this object is unreachable.
 *
 * <p>OpenSSL reference-counts the {@code SSL_CTX}: every {@code SSL} made from it holds a
 * reference, so closing the context while connections are open is safe (they keep it alive until
 * their own {@code SSL_free}). The callbacks are JVM-global upcall stubs, so no callback can ever
 * jump into freed code.
 */
public final class NativeSslContext implements AutoCloseable {
    static final Cleaner CLEANER = Cleaner.create();

    private static final long SSL_OP_NO_TICKET = 1L << 14;
    private static final long SSL_OP_NO_COMPRESSION = 1L << 17;
    private static final long SSL_OP_CIPHER_SERVER_PREFERENCE = 1L << 22;
    private static final long SSL_OP_NO_RENEGOTIATION = 1L << 30;
    private static final int SSL_CTRL_MODE = 33;
    private static final int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    private static final int SSL_CTRL_CHAIN_CERT = 89;
    private static final int SSL_CTRL_SET_GROUPS_LIST = 92;
    private static final int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    private static final int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
    private static final long SSL_SESS_CACHE_SERVER = 0x0002;
    private static final long SSL_SESS_CACHE_NO_INTERNAL = 0x0100 | 0x0200;
    private static final long SSL_MODE_RELEASE_BUFFERS = 0x10;
    private static final int SSL_VERIFY_PEER = 0x01;
    private static final int SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 0x02;

    private final MemorySegment ctx;
    private final Freer freer;
    private final Cleaner.Cleanable cleanable;
    private List<String> cipherSuites = List.of();

    private NativeSslContext(MemorySegment ctx) {
        this.ctx = ctx;
        this.freer = new Freer(ctx.address());
        this.cleanable = CLEANER.register(this, freer);
    }

    /** Makes and configures a server context; any OpenSSL error becomes an {@link SSLException} with its reason. */
    public static NativeSslContext create(ContextConfig config) throws SSLException {
        OpenSsl.ensureAvailable();
        MemorySegment ctx;
        try {
            OpenSsl.clearErrors();
            ctx = (MemorySegment) Native.SSL_CTX_new.invokeExact((MemorySegment) Native.TLS_server_method.invokeExact());
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
        if (ctx.address() == 0) {
            throw OpenSsl.exception("SSL_CTX_new failed");
        }
        NativeSslContext context = new NativeSslContext(ctx);
        boolean ok = false;
        try {
            context.configure(config);
            context.cipherSuites = Collections.unmodifiableList(readCipherNames(ctx, true));
            ok = true;
            return context;
        } finally {
            if (!ok) {
                context.close();
            }
        }
    }

    private void configure(ContextConfig c) throws SSLException {
        try (Arena arena = Arena.ofConfined()) {
            long options = SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE
                    | SSL_OP_NO_RENEGOTIATION;
            long ignored = (long) Native.SSL_CTX_set_options.invokeExact(ctx, options);
            ctrl(SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL, MemorySegment.NULL);
            ctrl(SSL_CTRL_MODE, SSL_MODE_RELEASE_BUFFERS, MemorySegment.NULL);
            check(ctrl(SSL_CTRL_SET_MIN_PROTO_VERSION, c.minVersion(), MemorySegment.NULL) == 1, "set minimum protocol version");
            check(ctrl(SSL_CTRL_SET_MAX_PROTO_VERSION, c.maxVersion(), MemorySegment.NULL) == 1, "set maximum protocol version");
            ignored = (long) Native.SSL_CTX_set_timeout.invokeExact(ctx, c.timeoutSeconds());
            check((int) Native.SSL_CTX_set_num_tickets.invokeExact(ctx, (long) c.ticketsPerHandshake()) == 1, "set number of tickets");
            // Early data off: with an external-only cache, OpenSSL's anti-replay check would refuse every resumption.
            check((int) Native.SSL_CTX_set_max_early_data.invokeExact(ctx, 0) == 1, "disable early data");
            MemorySegment sid = arena.allocate(c.sessionIdContext().length);
            sid.copyFrom(MemorySegment.ofArray(c.sessionIdContext()));
            check((int) Native.SSL_CTX_set_session_id_context.invokeExact(ctx, sid, c.sessionIdContext().length) == 1,
                    "set session id context");

            useCertificateAndKey(arena, c.certChainPem(), c.keyPem());

            if (c.cipherList() != null) {
                check((int) Native.SSL_CTX_set_cipher_list.invokeExact(ctx, arena.allocateFrom(c.cipherList())) == 1,
                        "set TLS 1.2 cipher list '" + c.cipherList() + "'");
            }
            if (c.cipherSuites() != null) {
                check((int) Native.SSL_CTX_set_ciphersuites.invokeExact(ctx, arena.allocateFrom(c.cipherSuites())) == 1,
                        "set TLS 1.3 cipher suites '" + c.cipherSuites() + "'");
            }
            if (c.groups() != null) {
                check(ctrl(SSL_CTRL_SET_GROUPS_LIST, 0, arena.allocateFrom(c.groups())) == 1, "set groups '" + c.groups() + "'");
            }
            if (c.trustPem() != null) {
                MemorySegment file = arena.allocateFrom(c.trustPem().toString());
                check((int) Native.SSL_CTX_load_verify_locations.invokeExact(ctx, file, MemorySegment.NULL) == 1,
                        "load trust roots from " + c.trustPem());
                MemorySegment names = (MemorySegment) Native.SSL_load_client_CA_file.invokeExact(file);
                check(names.address() != 0, "load client CA names from " + c.trustPem());
                Native.SSL_CTX_set_client_CA_list.invokeExact(ctx, names); // takes ownership of the list
            }
            int verify = switch (c.verifyMode()) {
                case ContextConfig.VERIFY_NONE -> 0;
                case ContextConfig.VERIFY_OPTIONAL -> SSL_VERIFY_PEER;
                case ContextConfig.VERIFY_REQUIRE -> SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
                default -> throw new IllegalArgumentException("verify mode " + c.verifyMode());
            };
            Native.SSL_CTX_set_verify.invokeExact(ctx, verify, MemorySegment.NULL);

            Native.SSL_CTX_sess_set_new_cb.invokeExact(ctx, SslUpcalls.NEW_SESSION_STUB);
            Native.SSL_CTX_sess_set_get_cb.invokeExact(ctx, SslUpcalls.GET_SESSION_STUB);
            // No remove callback on purpose: OpenSSL fires it when an SSL is freed without a clean
            // shutdown (an abrupt client close), which must not delete a good session fleet-wide.
            // TLS 1.3 single use is enforced by the store's take() in the ClientHello hook.
            if (c.alpn()) {
                Native.SSL_CTX_set_alpn_select_cb.invokeExact(ctx, SslUpcalls.ALPN_SELECT_STUB, MemorySegment.NULL);
            }
        } catch (SSLException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        } finally {
            OpenSsl.clearErrors();
        }
    }

    private void useCertificateAndKey(Arena arena, String chainPem, String keyPem) throws Throwable {
        MemorySegment bio = memBio(arena, chainPem);
        try {
            MemorySegment leaf = (MemorySegment) Native.PEM_read_bio_X509.invokeExact(bio, MemorySegment.NULL,
                    MemorySegment.NULL, MemorySegment.NULL);
            check(leaf.address() != 0, "read the certificate chain PEM");
            try {
                check((int) Native.SSL_CTX_use_certificate.invokeExact(ctx, leaf) == 1, "use the certificate");
            } finally {
                Native.X509_free.invokeExact(leaf); // SSL_CTX_use_certificate took its own reference
            }
            while (true) {
                MemorySegment next = (MemorySegment) Native.PEM_read_bio_X509.invokeExact(bio, MemorySegment.NULL,
                        MemorySegment.NULL, MemorySegment.NULL);
                if (next.address() == 0) {
                    OpenSsl.clearErrors(); // "no start line": the end of the chain
                    break;
                }
                if (ctrl(SSL_CTRL_CHAIN_CERT, 0, next) != 1) { // add0: ownership passes on success only
                    Native.X509_free.invokeExact(next);
                    throw OpenSsl.exception("add a chain certificate");
                }
            }
        } finally {
            int ignored = (int) Native.BIO_free.invokeExact(bio);
        }
        MemorySegment keyBio = memBio(arena, keyPem);
        try {
            // A non-null empty passphrase: an encrypted key fails instead of prompting on a terminal.
            MemorySegment key = (MemorySegment) Native.PEM_read_bio_PrivateKey.invokeExact(keyBio, MemorySegment.NULL,
                    MemorySegment.NULL, arena.allocateFrom(""));
            check(key.address() != 0, "read the private key PEM (it must be unencrypted)");
            try {
                check((int) Native.SSL_CTX_use_PrivateKey.invokeExact(ctx, key) == 1, "use the private key");
            } finally {
                Native.EVP_PKEY_free.invokeExact(key);
            }
        } finally {
            int ignored = (int) Native.BIO_free.invokeExact(keyBio);
        }
        check((int) Native.SSL_CTX_check_private_key.invokeExact(ctx) == 1, "the private key does not match the certificate");
    }

    private static MemorySegment memBio(Arena arena, String pem) throws Throwable {
        byte[] bytes = pem.getBytes(StandardCharsets.US_ASCII);
        MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
        buf.copyFrom(MemorySegment.ofArray(bytes));
        MemorySegment bio = (MemorySegment) Native.BIO_new_mem_buf.invokeExact(buf, bytes.length);
        if (bio.address() == 0) {
            throw OpenSsl.exception("BIO_new_mem_buf failed");
        }
        return bio;
    }

    private long ctrl(int cmd, long larg, MemorySegment parg) throws Throwable {
        return (long) Native.SSL_CTX_ctrl.invokeExact(ctx, cmd, larg, parg);
    }

    private static void check(boolean ok, String what) throws SSLException {
        if (!ok) {
            throw OpenSsl.exception("OpenSSL could not " + what);
        }
    }

    /** A new server-side SSL object with its two memory BIOs, answering callbacks through {@code callbacks}. */
    public NativeSsl newSsl(SslCallbacks callbacks) throws SSLException {
        if (freer.freed.get()) {
            throw new IllegalStateException("the SSL context is closed");
        }
        return NativeSsl.create(this, ctx, callbacks);
    }

    MemorySegment handle() {
        if (freer.freed.get()) {
            throw new IllegalStateException("the SSL context is closed");
        }
        return ctx;
    }

    /** The enabled cipher suites, IANA names, in preference order. */
    public List<String> cipherSuites() {
        return cipherSuites;
    }

    /** Frees the {@code SSL_CTX} (once); open connections keep their reference until they end. */
    @Override
    public void close() {
        cleanable.clean();
    }

    public boolean isClosed() {
        return freer.freed.get();
    }

    private static List<String> readCipherNames(MemorySegment ctx, boolean standard) {
        List<String> names = new ArrayList<>();
        try {
            MemorySegment stack = (MemorySegment) Native.SSL_CTX_get_ciphers.invokeExact(ctx);
            if (stack.address() == 0) {
                return names;
            }
            int n = (int) Native.OPENSSL_sk_num.invokeExact(stack);
            for (int i = 0; i < n; i++) {
                MemorySegment cipher = (MemorySegment) Native.OPENSSL_sk_value.invokeExact(stack, i);
                MemorySegment name = standard
                        ? (MemorySegment) Native.SSL_CIPHER_standard_name.invokeExact(cipher)
                        : (MemorySegment) Native.SSL_CIPHER_get_name.invokeExact(cipher);
                if (name.address() != 0) {
                    names.add(name.getString(0));
                }
            }
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
        return names;
    }

    private static volatile Map<String, String> standardToOpenSsl;

    /**
     * IANA (RFC) cipher suite name → OpenSSL name, for every suite this libssl knows; TLS 1.3 suites
     * map to themselves. Built once from a throwaway context.
     */
    public static Map<String, String> cipherNameMap() {
        Map<String, String> map = standardToOpenSsl;
        if (map != null) {
            return map;
        }
        OpenSsl.ensureAvailable();
        map = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = (MemorySegment) Native.SSL_CTX_new.invokeExact((MemorySegment) Native.TLS_server_method.invokeExact());
            try {
                int ignored = (int) Native.SSL_CTX_set_cipher_list.invokeExact(ctx, arena.allocateFrom("ALL:COMPLEMENTOFALL:@SECLEVEL=0"));
                List<String> std = readCipherNames(ctx, true);
                List<String> ossl = readCipherNames(ctx, false);
                for (int i = 0; i < Math.min(std.size(), ossl.size()); i++) {
                    map.put(std.get(i), ossl.get(i));
                }
            } finally {
                Native.SSL_CTX_free.invokeExact(ctx);
                OpenSsl.clearErrors();
            }
        } catch (Throwable t) {
            throw OpenSsl.rethrow(t);
        }
        standardToOpenSsl = map = Collections.unmodifiableMap(map);
        return map;
    }

    /** Frees the SSL_CTX exactly once; holds only the address, never the owner. */
    private static final class Freer implements Runnable {
        final long address;
        final AtomicBoolean freed = new AtomicBoolean();

        Freer(long address) {
            this.address = address;
        }

        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                try {
                    Native.SSL_CTX_free.invokeExact(MemorySegment.ofAddress(address));
                } catch (Throwable t) {
                    throw OpenSsl.rethrow(t);
                }
            }
        }
    }
}
