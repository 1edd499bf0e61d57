package io.tlssessioncache.netty.internal;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client-side OpenSSL {@code SSL_SESSION} taken from a {@link NativeClient} connection, to offer
 * on a later connection (to the same or another server). The caller owns it and closes it once;
 * closing it does not affect a connection that already uses it (OpenSSL counts references).
 */
public final class ClientSession implements AutoCloseable {
    private final MemorySegment session;
    private final AtomicBoolean closed = new AtomicBoolean();

    ClientSession(MemorySegment session) {
        this.session = session;
    }

    MemorySegment pointer() {
        if (closed.get()) {
            throw new IllegalStateException("session closed");
        }
        return session;
    }

    /** Whether OpenSSL would offer it for resumption (a TLS 1.3 session is, once a ticket arrived). */
    public boolean isResumable() {
        try {
            return (int) NativeClient.H.SSL_SESSION_is_resumable.invokeExact(pointer()) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The wire version of the session, e.g. 0x0304 for TLS 1.3. */
    public int protocolVersion() {
        try {
            return (int) Native.SSL_SESSION_get_protocol_version.invokeExact(pointer());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        NativeClient.freeOnce(closed, Native.SSL_SESSION_free, session);
    }

    @Override
    public String toString() {
        return "ClientSession[" + (closed.get() ? "closed" : "open") + "]";
    }
}
