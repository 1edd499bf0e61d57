package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;
import io.tlssessioncache.netty.openssl.NativeSsl;
import io.tlssessioncache.netty.openssl.NewSession;
import io.tlssessioncache.netty.openssl.SslCallbacks;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server {@link SSLEngine} over OpenSSL 3 with memory BIOs, made by {@link ResumingSslContext}
 * and driven by Netty's {@code SslHandler}.
 *
 * <p><b>Resumption.</b> Every session OpenSSL makes resumable (each TLS 1.3 ticket, each TLS 1.2
 * session id) is serialized and {@code put} into the context's store, without waiting. OpenSSL's
 * lookup callback never touches the store: it sees only the records the ClientHello hook
 * {@link #offerSession offered} to this connection, so the event loop never blocks.
 *
 * <p><b>Native memory.</b> The engine owns one {@code SSL} (with its BIOs and a 16 KiB scratch
 * buffer); it is freed as soon as both directions are closed ({@code SslHandler} closes both when
 * the channel goes inactive), after a fatal error, or by a {@link java.lang.ref.Cleaner} if the
 * engine is dropped. Unsent bytes (close_notify, an alert) are copied to the heap first, so
 * {@link #wrap} can still deliver them. All methods are {@code synchronized}: an engine is used by
 * one event loop, the lock only rules out use-after-free from a stray thread.
 */
public final class OpenSslServerEngine extends SSLEngine {
    private static final Logger LOG = LoggerFactory.getLogger(OpenSslServerEngine.class);

    /** Upper bound of what one record adds to its plaintext (header, IV/nonce, MAC/tag, padding). */
    private static final int MAX_RECORD_OVERHEAD = 325;
    private static final int RECORD_HEADER = 5;
    private static final int MAX_RECORD = RECORD_HEADER + NativeSsl.MAX_PLAINTEXT + 2048;
    private static final int INCOMPLETE = -1;
    private static final int NOT_TLS = -2;

    private enum Hs { NOT_STARTED, HANDSHAKING, FINISHED_PENDING, DONE }

    private final ResumingSslContext context;
    private final OpenSslSession session;
    private NativeSsl ssl; // null once freed
    private Hs hs = Hs.NOT_STARTED;
    private boolean inboundClosed;
    private boolean outboundClosed;
    private boolean failed;
    private byte[] leftover = new byte[0]; // output still to send after the SSL was freed
    private int leftoverPos;
    private List<SessionRecord> offered;
    private volatile boolean reused;
    private volatile String serverName;
    private volatile String applicationProtocol; // null until the handshake finished

    OpenSslServerEngine(ResumingSslContext context, String peerHost, int peerPort) throws SSLException {
        super(peerHost, peerPort);
        this.context = context;
        this.session = new OpenSslSession(context, peerHost, peerPort);
        this.ssl = context.nativeContext().newSsl(new Callbacks());
    }

    // ------------------------------------------------------------------ resumption API

    /**
     * Called by the ClientHello hook before the handshake: a record found in the store for this
     * connection. OpenSSL's lookup may resume only from offered records whose namespace is this
     * context's and whose id is the one the client presents. Records offered after the handshake
     * started to be processed are ignored.
     */
    public synchronized void offerSession(SessionRecord record) {
        if (record == null || hs == Hs.DONE || hs == Hs.FINISHED_PENDING || ssl == null) {
            return;
        }
        if (!context.namespace().equals(record.namespace())) {
            return; // made under another configuration: never resumable here
        }
        if (offered == null) {
            offered = new ArrayList<>(2);
        }
        if (offered.size() < 8) { // a ClientHello offers few identities; bound it anyway
            offered.add(record);
        }
    }

    /** After the handshake: whether OpenSSL resumed a session ({@code SSL_session_reused}). */
    public boolean isSessionReused() {
        return reused;
    }

    /** The SNI host name the client sent, or null. */
    public String serverName() {
        return serverName;
    }

    /** The context that made this engine. */
    public ResumingSslContext context() {
        return context;
    }

    // ------------------------------------------------------------------ SSLEngine: data

    @Override
    public synchronized SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst)
            throws SSLException {
        checkArgs(srcs, offset, length);
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        if (ssl == null) {
            int n = drainLeftover(dst);
            if (n == 0 && leftoverRemaining() > 0) {
                return new SSLEngineResult(Status.BUFFER_OVERFLOW, handshakeStatus(), 0, 0);
            }
            return new SSLEngineResult(Status.CLOSED, handshakeStatus(), 0, n);
        }
        if (hs == Hs.NOT_STARTED) {
            hs = Hs.HANDSHAKING; // a server speaks second: nothing to send yet
        }
        int pending = ssl.pendingOutput();
        if (pending > 0) {
            if (!dst.hasRemaining()) {
                return new SSLEngineResult(Status.BUFFER_OVERFLOW, HandshakeStatus.NEED_WRAP, 0, 0);
            }
            int n = ssl.drain(dst, pending);
            boolean drained = ssl.pendingOutput() == 0;
            HandshakeStatus st;
            if (hs == Hs.FINISHED_PENDING && drained) {
                hs = Hs.DONE;
                st = HandshakeStatus.FINISHED;
            } else {
                st = handshakeStatus();
            }
            Status status = outboundClosed && drained ? Status.CLOSED : Status.OK;
            releaseIfClosed();
            return new SSLEngineResult(status, st, 0, n);
        }
        if (outboundClosed) {
            releaseIfClosed();
            return new SSLEngineResult(Status.CLOSED, handshakeStatus(), 0, 0);
        }
        if (hs != Hs.DONE) {
            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_UNWRAP, 0, 0);
        }
        long available = remaining(srcs, offset, length);
        int consumed = 0;
        int produced = 0;
        try {
            while (available > consumed) {
                int room = dst.remaining() - MAX_RECORD_OVERHEAD;
                int chunk = (int) Math.min(Math.min(available - consumed, NativeSsl.MAX_PLAINTEXT), room);
                if (chunk <= 0) {
                    if (produced == 0) {
                        return new SSLEngineResult(Status.BUFFER_OVERFLOW, HandshakeStatus.NOT_HANDSHAKING, 0, 0);
                    }
                    break;
                }
                consumed += ssl.write(srcs, offset, length, chunk);
                produced += ssl.drain(dst, Integer.MAX_VALUE);
            }
        } catch (SSLException e) {
            fail();
            throw e;
        }
        HandshakeStatus st = ssl.pendingOutput() > 0 ? HandshakeStatus.NEED_WRAP : HandshakeStatus.NOT_HANDSHAKING;
        return new SSLEngineResult(Status.OK, st, consumed, produced);
    }

    @Override
    public synchronized SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length)
            throws SSLException {
        checkArgs(dsts, offset, length);
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].isReadOnly()) {
                throw new ReadOnlyBufferException();
            }
        }
        if (ssl == null || inboundClosed) {
            return new SSLEngineResult(Status.CLOSED, handshakeStatus(), 0, 0);
        }
        if (hs == Hs.NOT_STARTED) {
            hs = Hs.HANDSHAKING;
        }
        if (hs == Hs.FINISHED_PENDING) {
            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_WRAP, 0, 0);
        }
        int consumed = 0;
        try {
            if (hs == Hs.HANDSHAKING) {
                while (ssl.pendingOutput() == 0) {
                    int rec = recordLength(src);
                    if (rec == INCOMPLETE) {
                        if (consumed == 0) {
                            return new SSLEngineResult(Status.BUFFER_UNDERFLOW, HandshakeStatus.NEED_UNWRAP, 0, 0);
                        }
                        break;
                    }
                    if (rec == NOT_TLS) {
                        rec = src.remaining(); // OpenSSL rejects it with a proper alert
                    }
                    ssl.feed(src, rec);
                    consumed += rec;
                    if (ssl.handshake() == NativeSsl.HANDSHAKE_DONE) {
                        handshakeDone();
                        if (ssl.pendingOutput() > 0) {
                            hs = Hs.FINISHED_PENDING; // FINISHED is reported by the wrap that sends the last bytes
                            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_WRAP, consumed, 0);
                        }
                        hs = Hs.DONE;
                        return new SSLEngineResult(Status.OK, HandshakeStatus.FINISHED, consumed, 0);
                    }
                }
                return new SSLEngineResult(Status.OK, handshakeStatus(), consumed, 0);
            }

            long capacity = remaining(dsts, offset, length);
            int produced = 0;
            boolean closed = false;
            while (!closed) {
                int rec = recordLength(src);
                if (rec == INCOMPLETE) {
                    if (consumed == 0 && produced == 0) {
                        return new SSLEngineResult(Status.BUFFER_UNDERFLOW, handshakeStatus(), 0, 0);
                    }
                    break;
                }
                if (rec == NOT_TLS) {
                    rec = src.remaining();
                } else if (capacity - produced < Math.min(rec - RECORD_HEADER, NativeSsl.MAX_PLAINTEXT)) {
                    // Plaintext never exceeds the record's payload: make sure it fits before feeding it.
                    if (consumed == 0 && produced == 0) {
                        return new SSLEngineResult(Status.BUFFER_OVERFLOW, handshakeStatus(), 0, 0);
                    }
                    break;
                }
                ssl.feed(src, rec);
                consumed += rec;
                while (true) {
                    int n = ssl.read(dsts, offset, length, (int) Math.min(Integer.MAX_VALUE, capacity - produced));
                    if (n > 0) {
                        produced += n;
                        if (ssl.pendingInput() == 0) {
                            break; // the whole record fitted (checked above): nothing left to read
                        }
                        continue;
                    }
                    if (n == NativeSsl.READ_CLOSED) {
                        closed = true;
                        peerClosed();
                    }
                    break;
                }
                if (ssl == null || ssl.pendingOutput() > 0) {
                    break; // something to send first (our close_notify, an alert, a KeyUpdate answer)
                }
            }
            return new SSLEngineResult(closed ? Status.CLOSED : Status.OK, handshakeStatus(), consumed, produced);
        } catch (SSLException e) {
            fail();
            throw e;
        }
    }

    // ------------------------------------------------------------------ SSLEngine: life cycle

    @Override
    public synchronized void beginHandshake() throws SSLException {
        if (ssl == null || outboundClosed || inboundClosed) {
            throw new SSLException("engine closed");
        }
        if (hs == Hs.DONE || hs == Hs.FINISHED_PENDING) {
            throw new SSLException("renegotiation is not supported");
        }
        hs = Hs.HANDSHAKING;
    }

    @Override
    public synchronized HandshakeStatus getHandshakeStatus() {
        return handshakeStatus();
    }

    @Override
    public Runnable getDelegatedTask() {
        return null; // callbacks run inline and never block
    }

    @Override
    public synchronized void closeInbound() {
        if (inboundClosed) {
            return;
        }
        inboundClosed = true;
        releaseIfClosed();
    }

    @Override
    public synchronized boolean isInboundDone() {
        return inboundClosed;
    }

    @Override
    public synchronized void closeOutbound() {
        if (outboundClosed) {
            return;
        }
        outboundClosed = true;
        if (ssl != null && (hs == Hs.DONE || hs == Hs.FINISHED_PENDING)) {
            ssl.shutdown(); // close_notify, sent by the next wrap
        }
        releaseIfClosed();
    }

    @Override
    public synchronized boolean isOutboundDone() {
        return outboundClosed && pendingOut() == 0;
    }

    /** Frees the native SSL now (also done automatically once both directions are closed). */
    public synchronized void release() {
        inboundClosed = true;
        outboundClosed = true;
        releaseIfClosed();
    }

    @Override
    public SSLSession getSession() {
        return session;
    }

    @Override
    public synchronized SSLSession getHandshakeSession() {
        return hs == Hs.HANDSHAKING || hs == Hs.FINISHED_PENDING ? session : null;
    }

    @Override
    public String getApplicationProtocol() {
        return applicationProtocol;
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return applicationProtocol;
    }

    // ------------------------------------------------------------------ SSLEngine: configuration (fixed by the context)

    @Override
    public String[] getSupportedCipherSuites() {
        return context.cipherSuites().toArray(new String[0]);
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return getSupportedCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        if (!Set.of(suites).equals(Set.copyOf(context.cipherSuites()))) {
            throw new UnsupportedOperationException("configure cipher suites on ResumingSslContextBuilder");
        }
    }

    @Override
    public String[] getSupportedProtocols() {
        return context.protocols().toArray(new String[0]);
    }

    @Override
    public String[] getEnabledProtocols() {
        return getSupportedProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        if (!Set.of(protocols).equals(Set.copyOf(context.protocols()))) {
            throw new UnsupportedOperationException("configure protocols on ResumingSslContextBuilder");
        }
    }

    @Override
    public void setUseClientMode(boolean mode) {
        if (mode) {
            throw new IllegalArgumentException("this engine is server-only");
        }
    }

    @Override
    public boolean getUseClientMode() {
        return false;
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        if (need != getNeedClientAuth()) {
            throw new UnsupportedOperationException("configure client auth on ResumingSslContextBuilder");
        }
    }

    @Override
    public boolean getNeedClientAuth() {
        return context.clientAuth() == io.netty.handler.ssl.ClientAuth.REQUIRE;
    }

    @Override
    public void setWantClientAuth(boolean want) {
        if (want != getWantClientAuth()) {
            throw new UnsupportedOperationException("configure client auth on ResumingSslContextBuilder");
        }
    }

    @Override
    public boolean getWantClientAuth() {
        return context.clientAuth() == io.netty.handler.ssl.ClientAuth.OPTIONAL;
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        if (!flag) {
            throw new UnsupportedOperationException("session creation is always on");
        }
    }

    @Override
    public boolean getEnableSessionCreation() {
        return true;
    }

    // ------------------------------------------------------------------ internals

    private HandshakeStatus handshakeStatus() {
        if (pendingOut() > 0) {
            return HandshakeStatus.NEED_WRAP;
        }
        if (hs == Hs.HANDSHAKING && ssl != null && !inboundClosed && !outboundClosed) {
            return HandshakeStatus.NEED_UNWRAP;
        }
        return HandshakeStatus.NOT_HANDSHAKING;
    }

    private int pendingOut() {
        return ssl != null ? ssl.pendingOutput() : leftoverRemaining();
    }

    private int leftoverRemaining() {
        return leftover.length - leftoverPos;
    }

    private int drainLeftover(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), leftoverRemaining());
        dst.put(leftover, leftoverPos, n);
        leftoverPos += n;
        return n;
    }

    private void handshakeDone() {
        NativeSsl.HandshakeInfo info = ssl.handshakeInfo();
        session.handshakeFinished(info);
        reused = info.reused();
        serverName = info.serverName();
        applicationProtocol = info.applicationProtocol() == null ? "" : info.applicationProtocol();
        offered = null; // the offered records are needed only by the lookup inside the handshake
    }

    /** The peer sent close_notify: answer with ours, and both directions are done. */
    private void peerClosed() {
        inboundClosed = true;
        if (!outboundClosed) {
            outboundClosed = true;
            ssl.shutdown();
        }
        releaseIfClosed();
    }

    /** A fatal error: OpenSSL queued an alert; nothing else will be read or written. */
    private void fail() {
        failed = true;
        inboundClosed = true;
        outboundClosed = true;
        releaseIfClosed();
    }

    private void releaseIfClosed() {
        if (inboundClosed && outboundClosed && ssl != null) {
            NativeSsl s = ssl;
            ssl = null;
            leftover = s.drainAll();
            leftoverPos = 0;
            s.free();
            offered = null;
        }
    }

    /** Length of the TLS record at src's position, or INCOMPLETE / NOT_TLS. */
    private static int recordLength(ByteBuffer src) {
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

    private static long remaining(ByteBuffer[] bufs, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += bufs[i].remaining();
        }
        return n;
    }

    private static void checkArgs(ByteBuffer[] bufs, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bufs.length - length) {
            throw new IndexOutOfBoundsException();
        }
    }

    /** OpenSSL's questions, answered on the event loop inside SSL_do_handshake. */
    private final class Callbacks implements SslCallbacks {
        @Override
        public byte[] lookupSession(byte[] id) {
            List<SessionRecord> candidates = offered; // only ever touched on the engine's thread
            if (candidates == null || id.length != SessionId.LENGTH) {
                return null;
            }
            SessionId wanted = SessionId.of(id);
            Instant now = context.clock().instant();
            for (SessionRecord r : candidates) {
                if (r.id().equals(wanted) && context.namespace().equals(r.namespace())) {
                    if (!r.isLiveAt(now)) {
                        context.metrics().rejected("expired");
                        return null;
                    }
                    return r.state();
                }
            }
            return null;
        }

        @Override
        public void sessionUndecodable() {
            context.metrics().rejected("malformed");
        }

        @Override
        public void sessionCreated(NewSession s) {
            byte[] state = s.state();
            try {
                if (s.id().length != SessionId.LENGTH || s.cipherSuite() == null) {
                    return;
                }
                TlsProtocol protocol = TlsProtocol.ofCode(s.protocolVersion());
                Instant created = Instant.ofEpochSecond(s.timeSeconds());
                SessionRecord record = new SessionRecord(new SessionKey(context.namespace(), protocol, SessionId.of(s.id())),
                        s.serverName(), s.peerCertificate() == null ? null : sha256(s.peerCertificate()),
                        created, created.plus(context.sessionLifetime()), state);
                context.sessionStore().put(record).whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.debug("storing a session failed: {}", e.getClass().getName());
                    }
                });
            } catch (RuntimeException e) {
                LOG.debug("storing a session failed: {}", e.getClass().getName());
            } finally {
                Arrays.fill(state, (byte) 0); // the record holds its own copy
            }
        }

        @Override
        public String selectApplicationProtocol(List<String> offeredProtocols) {
            return context.selectApplicationProtocol(offeredProtocols);
        }
    }

    private static byte[] sha256(byte[] der) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(der);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
