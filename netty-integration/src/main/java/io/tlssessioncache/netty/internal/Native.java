package io.tlssessioncache.netty.internal;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The downcall handles into libssl.so.3 / libcrypto.so.3, resolved once per JVM.
 *
 * <p>Only functions that never call back into Java are linked {@code critical}; those that may run a
 * callback (handshake, read, write, shutdown) are ordinary downcalls. Nothing outside this package
 * calls native code.
 */
final class Native {
    private Native() {
    }

    static final Linker LINKER = Linker.nativeLinker();

    // Pointers whose target size is known up front: reading through them needs no restricted
    // MemorySegment.reinterpret, whose caller check walks the stack on hot paths.
    /** A NUL-terminated C string (read up to its NUL with {@code getString(0)}). */
    static final AddressLayout C_STRING = sized(Integer.MAX_VALUE);
    /** {@code SSL_MAX_SSL_SESSION_ID_LENGTH}. */
    static final int MAX_SESSION_ID = 32;
    /** A session id: at most {@link #MAX_SESSION_ID} bytes. */
    static final AddressLayout SESSION_ID = sized(MAX_SESSION_ID);
    /** The longest id get_cb accepts (checked against its {@code len} before reading). */
    static final int MAX_LOOKUP_ID = 64;
    /** get_cb's id. */
    static final AddressLayout LOOKUP_ID = sized(MAX_LOOKUP_ID);
    /** The longest ALPN vector: uint16-length. */
    static final int MAX_ALPN_LIST = 65535;
    /** The client's ALPN list, as the ALPN callback gets it. */
    static final AddressLayout ALPN_LIST = sized(MAX_ALPN_LIST);
    /** One ALPN protocol name: uint8-length, at most 255 bytes. */
    static final AddressLayout ALPN_NAME = sized(255);
    /** One engine's native block: the plaintext scratch buffer and the parameter area. */
    static final AddressLayout ENGINE_BLOCK = sized(NativeSsl.MAX_PLAINTEXT + NativeSsl.PARAMS);

    private static AddressLayout sized(long bytes) {
        return ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(bytes, JAVA_BYTE));
    }

    static final String LIBSSL_PROPERTY = "tlssessioncache.openssl.libssl";
    static final String LIBCRYPTO_PROPERTY = "tlssessioncache.openssl.libcrypto";
    static final String NEEDS = "the OpenSSL engine needs OpenSSL 3 (libssl.so.3 and libcrypto.so.3); "
            + "install package libssl3 (Debian/Ubuntu) or openssl-libs (RHEL), or name the libraries with -D"
            + LIBSSL_PROPERTY + "=/path/libssl.so.3 -D" + LIBCRYPTO_PROPERTY + "=/path/libcrypto.so.3";

    /** Why loading failed, or null when it worked. */
    static final Throwable LOAD_FAILURE;
    static final long VERSION_NUMBER;
    static final String VERSION_TEXT;

    private static final SymbolLookup SSL;
    private static final SymbolLookup CRYPTO;

    // libcrypto
    static final MethodHandle OpenSSL_version_num;
    static final MethodHandle OpenSSL_version;
    static final MethodHandle ERR_get_error;
    static final MethodHandle ERR_error_string_n;
    static final MethodHandle ERR_clear_error;
    static final MethodHandle BIO_new;
    static final MethodHandle BIO_s_mem;
    static final MethodHandle BIO_new_mem_buf;
    static final MethodHandle BIO_free;
    static final MethodHandle BIO_read;
    static final MethodHandle BIO_write;
    static final MethodHandle BIO_read_heap;
    static final MethodHandle BIO_write_heap;
    static final MethodHandle BIO_ctrl_pending;
    static final MethodHandle BIO_ctrl;
    static final MethodHandle PEM_read_bio_X509;
    static final MethodHandle PEM_read_bio_PrivateKey;
    static final MethodHandle X509_free;
    static final MethodHandle EVP_PKEY_free;
    static final MethodHandle i2d_X509;
    static final MethodHandle OPENSSL_sk_num;
    static final MethodHandle OPENSSL_sk_value;
    static final MethodHandle malloc;
    static final MethodHandle free;

    // libssl
    static final MethodHandle TLS_server_method;
    static final MethodHandle SSL_CTX_new;
    static final MethodHandle SSL_CTX_free;
    static final MethodHandle SSL_CTX_set_options;
    static final MethodHandle SSL_CTX_ctrl;
    static final MethodHandle SSL_CTX_set_timeout;
    static final MethodHandle SSL_CTX_set_num_tickets;
    static final MethodHandle SSL_CTX_set_max_early_data;
    static final MethodHandle SSL_CTX_set_session_id_context;
    static final MethodHandle SSL_CTX_use_certificate;
    static final MethodHandle SSL_CTX_use_PrivateKey;
    static final MethodHandle SSL_CTX_check_private_key;
    static final MethodHandle SSL_CTX_set_cipher_list;
    static final MethodHandle SSL_CTX_set_ciphersuites;
    static final MethodHandle SSL_CTX_get_ciphers;
    static final MethodHandle SSL_CIPHER_standard_name;
    static final MethodHandle SSL_CIPHER_get_name;
    static final MethodHandle SSL_CTX_set_verify;
    static final MethodHandle SSL_CTX_load_verify_locations;
    static final MethodHandle SSL_load_client_CA_file;
    static final MethodHandle SSL_CTX_set_client_CA_list;
    static final MethodHandle SSL_CTX_sess_set_new_cb;
    static final MethodHandle SSL_CTX_sess_set_get_cb;
    static final MethodHandle SSL_CTX_set_alpn_select_cb;
    static final MethodHandle SSL_new;
    static final MethodHandle SSL_free;
    static final MethodHandle SSL_set_accept_state;
    static final MethodHandle SSL_set_bio;
    static final MethodHandle SSL_do_handshake;
    static final MethodHandle SSL_read;
    static final MethodHandle SSL_write;
    static final MethodHandle SSL_shutdown;
    static final MethodHandle SSL_get_error;
    static final MethodHandle SSL_get_shutdown;
    static final MethodHandle SSL_set_SSL_CTX;
    static final MethodHandle SSL_get_version;
    static final MethodHandle SSL_get_current_cipher;
    static final MethodHandle SSL_get_session;
    static final MethodHandle SSL_SESSION_get_id;
    static final MethodHandle SSL_SESSION_get_time;
    static final MethodHandle SSL_SESSION_get_protocol_version;
    static final MethodHandle SSL_SESSION_get0_cipher;
    static final MethodHandle i2d_SSL_SESSION;
    static final MethodHandle d2i_SSL_SESSION;
    static final MethodHandle SSL_SESSION_free;
    static final MethodHandle SSL_get_servername;
    static final MethodHandle SSL_get0_alpn_selected;
    static final MethodHandle SSL_get1_peer_certificate;
    static final MethodHandle SSL_get_peer_cert_chain;
    static final MethodHandle SSL_session_reused;

    static {
        Throwable failure = null;
        SymbolLookup ssl = null;
        SymbolLookup crypto = null;
        long version = 0;
        String text = null;
        try {
            // libcrypto first: libssl depends on it, and its version is what we check.
            crypto = library(LIBCRYPTO_PROPERTY, "libcrypto.so.3");
            ssl = library(LIBSSL_PROPERTY, "libssl.so.3");
        } catch (Throwable t) {
            failure = t;
        }
        SSL = ssl;
        CRYPTO = crypto;
        MethodHandle[] h = new MethodHandle[1];
        try {
            if (failure == null) {
                MethodHandle vn = crypto("OpenSSL_version_num", FunctionDescriptor.of(JAVA_LONG), true);
                version = (long) vn.invokeExact();
                if (version < 0x3000_0000L) {
                    failure = new UnsatisfiedLinkError("found OpenSSL 0x" + Long.toHexString(version) + "; " + NEEDS);
                }
                h[0] = vn;
            }
        } catch (Throwable t) {
            failure = t;
        }
        boolean ok = failure == null;
        OpenSSL_version_num = h[0];
        OpenSSL_version = ok ? crypto("OpenSSL_version", FunctionDescriptor.of(C_STRING, JAVA_INT), true) : null;
        ERR_get_error = ok ? crypto("ERR_get_error", FunctionDescriptor.of(JAVA_LONG), true) : null;
        ERR_error_string_n = ok ? crypto("ERR_error_string_n",
                FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS, JAVA_LONG), true) : null;
        ERR_clear_error = ok ? crypto("ERR_clear_error", FunctionDescriptor.ofVoid(), true) : null;
        BIO_new = ok ? crypto("BIO_new", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        BIO_s_mem = ok ? crypto("BIO_s_mem", FunctionDescriptor.of(ADDRESS), true) : null;
        BIO_new_mem_buf = ok ? crypto("BIO_new_mem_buf", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT), true) : null;
        BIO_free = ok ? crypto("BIO_free", FunctionDescriptor.of(JAVA_INT, ADDRESS), true) : null;
        BIO_read = ok ? crypto("BIO_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), true) : null;
        BIO_write = ok ? crypto("BIO_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), true) : null;
        // Memory BIOs never call back: the same functions linked to accept heap segments, which
        // copies straight between a Java array and the BIO (no staging copy).
        BIO_read_heap = ok ? cryptoHeap("BIO_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)) : null;
        BIO_write_heap = ok ? cryptoHeap("BIO_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)) : null;
        BIO_ctrl_pending = ok ? crypto("BIO_ctrl_pending", FunctionDescriptor.of(JAVA_LONG, ADDRESS), true) : null;
        BIO_ctrl = ok ? crypto("BIO_ctrl", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS), true) : null;
        PEM_read_bio_X509 = ok ? crypto("PEM_read_bio_X509",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), false) : null;
        PEM_read_bio_PrivateKey = ok ? crypto("PEM_read_bio_PrivateKey",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), false) : null;
        X509_free = ok ? crypto("X509_free", FunctionDescriptor.ofVoid(ADDRESS), true) : null;
        EVP_PKEY_free = ok ? crypto("EVP_PKEY_free", FunctionDescriptor.ofVoid(ADDRESS), true) : null;
        i2d_X509 = ok ? crypto("i2d_X509", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), true) : null;
        OPENSSL_sk_num = ok ? crypto("OPENSSL_sk_num", FunctionDescriptor.of(JAVA_INT, ADDRESS), true) : null;
        OPENSSL_sk_value = ok ? crypto("OPENSSL_sk_value", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT), true) : null;
        SymbolLookup libc = LINKER.defaultLookup();
        malloc = ok ? LINKER.downcallHandle(libc.findOrThrow("malloc"), FunctionDescriptor.of(ENGINE_BLOCK, JAVA_LONG),
                Linker.Option.critical(false)) : null;
        free = ok ? LINKER.downcallHandle(libc.findOrThrow("free"), FunctionDescriptor.ofVoid(ADDRESS),
                Linker.Option.critical(false)) : null;

        TLS_server_method = ok ? ssl("TLS_server_method", FunctionDescriptor.of(ADDRESS), true) : null;
        SSL_CTX_new = ok ? ssl("SSL_CTX_new", FunctionDescriptor.of(ADDRESS, ADDRESS), false) : null;
        SSL_CTX_free = ok ? ssl("SSL_CTX_free", FunctionDescriptor.ofVoid(ADDRESS), false) : null;
        SSL_CTX_set_options = ok ? ssl("SSL_CTX_set_options", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG), true) : null;
        SSL_CTX_ctrl = ok ? ssl("SSL_CTX_ctrl", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS), false) : null;
        SSL_CTX_set_timeout = ok ? ssl("SSL_CTX_set_timeout", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG), true) : null;
        SSL_CTX_set_num_tickets = ok ? ssl("SSL_CTX_set_num_tickets", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), true) : null;
        SSL_CTX_set_max_early_data = ok ? ssl("SSL_CTX_set_max_early_data", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true) : null;
        SSL_CTX_set_session_id_context = ok ? ssl("SSL_CTX_set_session_id_context",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), true) : null;
        SSL_CTX_use_certificate = ok ? ssl("SSL_CTX_use_certificate", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false) : null;
        SSL_CTX_use_PrivateKey = ok ? ssl("SSL_CTX_use_PrivateKey", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false) : null;
        SSL_CTX_check_private_key = ok ? ssl("SSL_CTX_check_private_key", FunctionDescriptor.of(JAVA_INT, ADDRESS), false) : null;
        SSL_CTX_set_cipher_list = ok ? ssl("SSL_CTX_set_cipher_list", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false) : null;
        SSL_CTX_set_ciphersuites = ok ? ssl("SSL_CTX_set_ciphersuites", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false) : null;
        SSL_CTX_get_ciphers = ok ? ssl("SSL_CTX_get_ciphers", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        SSL_CIPHER_standard_name = ok ? ssl("SSL_CIPHER_standard_name", FunctionDescriptor.of(C_STRING, ADDRESS), true) : null;
        SSL_CIPHER_get_name = ok ? ssl("SSL_CIPHER_get_name", FunctionDescriptor.of(C_STRING, ADDRESS), true) : null;
        SSL_CTX_set_verify = ok ? ssl("SSL_CTX_set_verify", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS), true) : null;
        SSL_CTX_load_verify_locations = ok ? ssl("SSL_CTX_load_verify_locations",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), false) : null;
        SSL_load_client_CA_file = ok ? ssl("SSL_load_client_CA_file", FunctionDescriptor.of(ADDRESS, ADDRESS), false) : null;
        SSL_CTX_set_client_CA_list = ok ? ssl("SSL_CTX_set_client_CA_list", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), true) : null;
        SSL_CTX_sess_set_new_cb = ok ? ssl("SSL_CTX_sess_set_new_cb", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), true) : null;
        SSL_CTX_sess_set_get_cb = ok ? ssl("SSL_CTX_sess_set_get_cb", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), true) : null;
        SSL_CTX_set_alpn_select_cb = ok ? ssl("SSL_CTX_set_alpn_select_cb",
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS), true) : null;
        SSL_new = ok ? ssl("SSL_new", FunctionDescriptor.of(ADDRESS, ADDRESS), false) : null;
        SSL_free = ok ? ssl("SSL_free", FunctionDescriptor.ofVoid(ADDRESS), false) : null;
        SSL_set_accept_state = ok ? ssl("SSL_set_accept_state", FunctionDescriptor.ofVoid(ADDRESS), true) : null;
        SSL_set_bio = ok ? ssl("SSL_set_bio", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS), true) : null;
        SSL_do_handshake = ok ? ssl("SSL_do_handshake", FunctionDescriptor.of(JAVA_INT, ADDRESS), false) : null;
        SSL_read = ok ? ssl("SSL_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), false) : null;
        SSL_write = ok ? ssl("SSL_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), false) : null;
        SSL_shutdown = ok ? ssl("SSL_shutdown", FunctionDescriptor.of(JAVA_INT, ADDRESS), false) : null;
        SSL_get_error = ok ? ssl("SSL_get_error", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true) : null;
        SSL_get_shutdown = ok ? ssl("SSL_get_shutdown", FunctionDescriptor.of(JAVA_INT, ADDRESS), true) : null;
        // Not critical: it frees the old SSL_CTX reference, which may run ex_data free callbacks.
        SSL_set_SSL_CTX = ok ? ssl("SSL_set_SSL_CTX", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), false) : null;
        SSL_get_version = ok ? ssl("SSL_get_version", FunctionDescriptor.of(C_STRING, ADDRESS), true) : null;
        SSL_get_current_cipher = ok ? ssl("SSL_get_current_cipher", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        SSL_get_session = ok ? ssl("SSL_get_session", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        SSL_SESSION_get_id = ok ? ssl("SSL_SESSION_get_id", FunctionDescriptor.of(SESSION_ID, ADDRESS, ADDRESS), true) : null;
        SSL_SESSION_get_time = ok ? ssl("SSL_SESSION_get_time", FunctionDescriptor.of(JAVA_LONG, ADDRESS), true) : null;
        SSL_SESSION_get_protocol_version = ok ? ssl("SSL_SESSION_get_protocol_version",
                FunctionDescriptor.of(JAVA_INT, ADDRESS), true) : null;
        SSL_SESSION_get0_cipher = ok ? ssl("SSL_SESSION_get0_cipher", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        i2d_SSL_SESSION = ok ? ssl("i2d_SSL_SESSION", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), true) : null;
        d2i_SSL_SESSION = ok ? ssl("d2i_SSL_SESSION", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG), true) : null;
        SSL_SESSION_free = ok ? ssl("SSL_SESSION_free", FunctionDescriptor.ofVoid(ADDRESS), false) : null;
        SSL_get_servername = ok ? ssl("SSL_get_servername", FunctionDescriptor.of(C_STRING, ADDRESS, JAVA_INT), true) : null;
        SSL_get0_alpn_selected = ok ? ssl("SSL_get0_alpn_selected", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS), true) : null;
        SSL_get1_peer_certificate = ok ? ssl("SSL_get1_peer_certificate", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        SSL_get_peer_cert_chain = ok ? ssl("SSL_get_peer_cert_chain", FunctionDescriptor.of(ADDRESS, ADDRESS), true) : null;
        SSL_session_reused = ok ? ssl("SSL_session_reused", FunctionDescriptor.of(JAVA_INT, ADDRESS), true) : null;

        if (ok) {
            try {
                MemorySegment p = (MemorySegment) OpenSSL_version.invokeExact(0);
                text = p.getString(0);
            } catch (Throwable t) {
                text = "OpenSSL 0x" + Long.toHexString(version);
            }
        }
        LOAD_FAILURE = failure;
        VERSION_NUMBER = version;
        VERSION_TEXT = text;
    }

    private static SymbolLookup library(String property, String soname) {
        String configured = System.getProperty(property);
        if (configured != null && !configured.isBlank()) {
            return SymbolLookup.libraryLookup(Path.of(configured), Arena.global());
        }
        // The soname goes through dlopen's search path, which finds it on any distribution.
        return SymbolLookup.libraryLookup(soname, Arena.global());
    }

    private static MethodHandle crypto(String name, FunctionDescriptor fd, boolean critical) {
        return link(CRYPTO, name, fd, critical);
    }

    private static MethodHandle cryptoHeap(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(CRYPTO.findOrThrow(name), fd, Linker.Option.critical(true));
    }

    /** A libssl downcall; {@code critical}: a trivial call that never blocks nor calls back. Also for NativeClient's own symbols. */
    static MethodHandle ssl(String name, FunctionDescriptor fd, boolean critical) {
        return link(SSL, name, fd, critical);
    }

    private static MethodHandle link(SymbolLookup lookup, String name, FunctionDescriptor fd, boolean critical) {
        MemorySegment symbol = lookup.findOrThrow(name);
        return critical
                ? LINKER.downcallHandle(symbol, fd, Linker.Option.critical(false))
                : LINKER.downcallHandle(symbol, fd);
    }

    /** An upcall stub that lives as long as the JVM: the SSL_CTXs that point at it may outlive any arena. */
    static MemorySegment upcall(Class<?> owner, String method, FunctionDescriptor fd) {
        try {
            MethodType type = fd.toMethodType();
            MethodHandle target = MethodHandles.lookup().findStatic(owner, method, type);
            return LINKER.upcallStub(target, fd, Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

}
