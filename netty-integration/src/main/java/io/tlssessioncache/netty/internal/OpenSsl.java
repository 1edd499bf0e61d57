package io.tlssessioncache.netty.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLException;

/**
 * Whether OpenSSL 3 is usable in this process, and the error-queue and accounting helpers the
 * binding shares.
 */
public final class OpenSsl {
    private OpenSsl() {
    }

    static final AtomicLong LIVE_SSL = new AtomicLong();

    /** Whether libssl.so.3 / libcrypto.so.3 (OpenSSL 3.0 or later) loaded. */
    public static boolean isAvailable() {
        return Native.LOAD_FAILURE == null;
    }

    /** Throws one clear error naming what is needed when OpenSSL 3 is not usable. */
    public static void ensureAvailable() {
        if (Native.LOAD_FAILURE != null) {
            UnsatisfiedLinkError e = new UnsatisfiedLinkError(
                    Native.LOAD_FAILURE instanceof UnsatisfiedLinkError u && u.getMessage() != null
                            && u.getMessage().contains("needs OpenSSL 3")
                            ? u.getMessage()
                            : Native.NEEDS + " (" + Native.LOAD_FAILURE.getMessage() + ")");
            e.initCause(Native.LOAD_FAILURE);
            throw e;
        }
    }

    /** {@code OpenSSL_version_num()}, e.g. 0x30000130 for 3.0.19. */
    public static long versionNumber() {
        ensureAvailable();
        return Native.VERSION_NUMBER;
    }

    /** {@code OpenSSL_version(OPENSSL_VERSION)}, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
    public static String versionText() {
        ensureAvailable();
        return Native.VERSION_TEXT;
    }

    /** SSL objects created and not yet freed (for leak tests and monitoring). */
    public static long liveSslCount() {
        return LIVE_SSL.get();
    }

    static void clearErrors() {
        try {
            Native.ERR_clear_error.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Drains OpenSSL's error queue into one message: what we were doing, then OpenSSL's reasons. */
    static String drainErrors(String what) {
        StringBuilder sb = new StringBuilder(what);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int n = 0;
            for (long e; (e = (long) Native.ERR_get_error.invokeExact()) != 0; ) {
                if (n++ < 4) { // the first reasons are the useful ones; the rest is noise
                    Native.ERR_error_string_n.invokeExact(e, buf, 256L);
                    sb.append(n == 1 ? ": " : "; ").append(buf.getString(0));
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return sb.toString();
    }

    static SSLException exception(String what) {
        return new SSLException(drainErrors(what));
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
