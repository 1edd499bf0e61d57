package io.tlssessioncache.netty;

import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCounted;
import io.netty.util.Timeout;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.netty.internal.NativeSsl;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server {@link SSLEngine} over OpenSSL 3 with memory BIOs, made by {@link ResumingSslContext} and
 * driven by Netty's {@code SslHandler} (ours or anyone's).
 *
 * <p><b>Resumption, inside the engine.</b> The first {@link #unwrap} collects the ClientHello
 * (feeding its records to OpenSSL without running the handshake yet), starts the connection's
 * {@link SessionLookup} and, unless the store answered at once (embedded store, near-cache hit),
 * returns {@link HandshakeStatus#NEED_TASK}: the {@link #getDelegatedTask() delegated task} waits for
 * the answer, bounded by the lookup deadline, and hands it to OpenSSL's session callback
 * ({@link SessionStoreCallbacks}). {@code SslHandler} runs that task on its executor and resumes on
 * the event loop. A task run on the very thread that drives the engine (an inline executor, the
 * event loop) never waits: an answer already there is used, one still in flight becomes a full
 * handshake, counted as {@code notAwaited("lookup")}. A lookup already made by
 * {@link ClientHelloLookupHandler} is {@linkplain #resolved handed over} instead.
 *
 * <p><b>New sessions.</b> Every session OpenSSL makes resumable is written to the store. What the
 * handshake would send next (TLS 1.3: the NewSessionTicket; TLS 1.2: the server's final flight,
 * which carries no id but ends the handshake) is held back, again through a delegated task, until
 * the store acknowledged the write or the deadline passed: a client can never present an id that
 * is not in the store yet, so no lookup needs a retry.
 *
 * <p><b>Native memory.</b> The engine owns one {@code SSL} (with its BIOs and a 16 KiB scratch
 * buffer), freed exactly once, as soon as any of these happens: both directions are closed
 * ({@code SslHandler} closes both when the channel goes inactive), a fatal error, the last
 * {@link #release()} (Netty's {@code SslHandler} releases {@link ReferenceCounted} engines when it is
 * removed), the handshake timeout (an engine abandoned mid-handshake, e.g. under an ALPN wrapper,
 * which is not reference counted), or a {@link java.lang.ref.Cleaner} if the engine is dropped.
 * Unsent bytes (close_notify, an alert) are copied to the heap first, so {@link #wrap} can still
 * deliver them. All methods are {@code synchronized}: the event loop and a delegated task's thread
 * both touch the state, and the lock rules out use-after-free; no lock is held while waiting.
 */
final class OpenSslServerEngine extends ContextConfiguredEngine implements ReferenceCounted {
    private static final Logger log = LoggerFactory.getLogger(OpenSslServerEngine.class);


    private enum Hs { NOT_STARTED, HANDSHAKING, FINISHED_PENDING, DONE }

    private final ResumingSslContext context;
    private final OpenSslSession session;
    private final SessionStoreCallbacks callbacks;
    private final Timeout handshakeTimer;
    private NativeSsl ssl; // null once freed
    private Hs hs = Hs.NOT_STARTED;
    private ClientHelloReassembler hello = new ClientHelloReassembler(); // null once the lookup is decided
    private boolean helloUnprocessed; // ClientHello bytes fed to OpenSSL, no handshake run on them yet
    private SessionLookup lookup;     // the connection's lookup, while it may still be cancelled
    private StoreWaitTask task;       // non-null: NEED_TASK
    private boolean taskHandedOut;
    private Thread driver;            // the thread that asked for the task: running it there must not wait
    private boolean inboundClosed;
    private boolean outboundClosed;
    private boolean timedOut;
    private int refCnt = 1;
    private byte[] leftover = new byte[0]; // output still to send after the SSL was freed
    private int leftoverPos;
    private volatile boolean reused;
    private volatile String applicationProtocol; // null until the handshake finished; "" for none

    OpenSslServerEngine(ResumingSslContext context, String peerHost, int peerPort) throws SSLException {
        super(context, peerHost, peerPort);
        this.context = context;
        ServerCertificate certificate = context.defaultCertificate();
        this.session = new OpenSslSession(context, this, certificate, peerHost, peerPort);
        this.callbacks = new SessionStoreCallbacks(context, this, certificate);
        this.ssl = certificate.nativeContext().newSsl(callbacks);
        this.handshakeTimer = context.scheduleHandshakeTimeout(this);
    }

    // ------------------------------------------------------------------ resumption

    /**
     * {@link ClientHelloLookupHandler} already made this connection's lookup: use its certificate and
     * record (may be null), and make none of our own. Ignored once the ClientHello was processed.
     */
    synchronized void resolved(ServerCertificate certificate, SessionRecord record) throws SSLException {
        if (hello == null || ssl == null) {
            return;
        }
        hello = null;
        useCertificate(certificate);
        callbacks.offer(record);
    }

    /** After the handshake: whether OpenSSL resumed a session ({@code SSL_session_reused}). */
    boolean isSessionReused() {
        return reused;
    }

    /** The context that made this engine. */
    ResumingSslContext context() {
        return context;
    }

    private void useCertificate(ServerCertificate certificate) throws SSLException {
        if (certificate != callbacks.certificate()) {
            ssl.useContext(certificate.nativeContext());
            callbacks.useCertificate(certificate);
            session.useCertificate(certificate);
        }
    }

    /** The ClientHello is complete: decide and start the lookup; returns whether a task must wait for it. */
    private boolean startLookup(ClientHelloReassembler reassembled) throws SSLException {
        ClientHelloInfo info;
        try {
            info = ClientHelloParser.parse(reassembled.body());
        } catch (MalformedClientHelloException e) {
            // No lookup, and OpenSSL, the judge of what it accepts, answers the hello itself.
            context.metrics().rejected("malformed-hello");
            log.debug("unparsable ClientHello ({}), full handshake without lookup", e.getMessage());
            return false;
        }
        SessionLookup l = SessionLookup.start(context, info, context.metrics());
        useCertificate(l.certificate());
        if (l.answer().isDone()) {
            callbacks.offer(l.answer().join());
            return false;
        }
        lookup = l;
        task = StoreWaitTask.lookup(this, l);
        return true;
    }

    /**
     * The default delegated-task executor of the handlers our context makes: runs the task once the
     * store has answered (or the deadline passed), on the thread that completed the answer.
     */
    java.util.concurrent.Executor storeAnswerExecutor() {
        return runner -> {
            StoreWaitTask t = pendingTask();
            if (t == null) {
                runner.run();
            } else {
                t.whenReady(runner);
            }
        };
    }

    private synchronized StoreWaitTask pendingTask() {
        return taskHandedOut ? null : task;
    }

    /** Whether the calling thread is the one that drives the engine (a task run there must not wait). */
    synchronized boolean onDriverThread() {
        return Thread.currentThread() == driver;
    }

    /** A lookup task's answer: hand the record to OpenSSL's session callback, and go on. */
    synchronized void lookupAnswered(StoreWaitTask t, SessionRecord found) {
        if (ssl != null) {
            callbacks.offer(found);
        }
        taskDone(t);
    }

    /** A task finished waiting: the handshake goes on. */
    synchronized void taskDone(StoreWaitTask t) {
        if (task == t) {
            task = null;
            taskHandedOut = false;
            lookup = null;
        }
    }

    @Override
    public synchronized Runnable getDelegatedTask() {
        if (task == null || taskHandedOut) {
            return null;
        }
        taskHandedOut = true;
        return task;
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
            throwIfTimedOut();
            int n = drainLeftover(dst);
            if (n == 0 && leftoverRemaining() > 0) {
                return new SSLEngineResult(Status.BUFFER_OVERFLOW, handshakeStatus(), 0, 0);
            }
            return new SSLEngineResult(Status.CLOSED, handshakeStatus(), 0, n);
        }
        if (task != null) {
            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_TASK, 0, 0); // output held for the task
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
                int room = dst.remaining() - TlsRecords.MAX_RECORD_OVERHEAD;
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
            throwIfTimedOut();
            return new SSLEngineResult(Status.CLOSED, handshakeStatus(), 0, 0);
        }
        if (task != null) {
            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_TASK, 0, 0);
        }
        if (hs == Hs.NOT_STARTED) {
            hs = Hs.HANDSHAKING;
        }
        if (hs == Hs.FINISHED_PENDING) {
            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_WRAP, 0, 0);
        }
        try {
            if (hs == Hs.HANDSHAKING) {
                return unwrapHandshake(src);
            }
            return unwrapData(src, dsts, offset, length);
        } catch (SSLException e) {
            fail();
            throw e;
        }
    }

    private SSLEngineResult unwrapHandshake(ByteBuffer src) throws SSLException {
        int consumed = 0;
        // 1. The ClientHello: its records go to OpenSSL's input, its bytes to the reassembler; no
        //    handshake runs until the lookup is decided.
        while (hello != null) {
            int rec = TlsRecords.length(src);
            if (rec == TlsRecords.INCOMPLETE) {
                return new SSLEngineResult(consumed == 0 ? Status.BUFFER_UNDERFLOW : Status.OK,
                        HandshakeStatus.NEED_UNWRAP, consumed, 0);
            }
            ClientHelloReassembler.State state = rec == TlsRecords.NOT_TLS || src.get(src.position()) != TlsRecords.HANDSHAKE_RECORD
                    ? ClientHelloReassembler.State.NOT_A_HELLO // OpenSSL answers it with an alert
                    : hello.add(src, src.position() + TlsRecords.RECORD_HEADER, rec - TlsRecords.RECORD_HEADER);
            if (state == ClientHelloReassembler.State.NOT_A_HELLO) {
                hello = null;
                break;
            }
            ssl.feed(src, rec);
            consumed += rec;
            helloUnprocessed = true;
            if (state == ClientHelloReassembler.State.COMPLETE) {
                ClientHelloReassembler complete = hello;
                hello = null;
                if (startLookup(complete)) {
                    driver = Thread.currentThread();
                    return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_TASK, consumed, 0);
                }
            }
        }
        // 2. OpenSSL runs the handshake on what it has, then on each further record.
        while (ssl.pendingOutput() == 0) {
            if (!helloUnprocessed) {
                int rec = TlsRecords.length(src);
                if (rec == TlsRecords.INCOMPLETE) {
                    if (consumed == 0) {
                        return new SSLEngineResult(Status.BUFFER_UNDERFLOW, HandshakeStatus.NEED_UNWRAP, 0, 0);
                    }
                    break;
                }
                if (rec == TlsRecords.NOT_TLS) {
                    rec = src.remaining(); // OpenSSL rejects it with a proper alert
                }
                ssl.feed(src, rec);
                consumed += rec;
            }
            helloUnprocessed = false;
            if (ssl.handshake() == NativeSsl.HANDSHAKE_DONE) {
                return handshakeDone(consumed);
            }
        }
        return new SSLEngineResult(Status.OK, handshakeStatus(), consumed, 0);
    }

    private SSLEngineResult handshakeDone(int consumed) {
        NativeSsl.HandshakeInfo info = ssl.handshakeInfo();
        session.handshakeFinished(info);
        reused = info.reused();
        applicationProtocol = info.applicationProtocol() == null ? "" : info.applicationProtocol();
        callbacks.handshakeDone();
        handshakeTimer.cancel();
        List<CompletableFuture<Void>> puts = callbacks.unacknowledgedPuts();
        if (ssl.pendingOutput() > 0) {
            hs = Hs.FINISHED_PENDING; // FINISHED is reported by the wrap that sends the last bytes
            if (!puts.isEmpty()) {
                task = StoreWaitTask.puts(this, puts, context.lookupDeadline());
                driver = Thread.currentThread();
                return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_TASK, consumed, 0);
            }
            return new SSLEngineResult(Status.OK, HandshakeStatus.NEED_WRAP, consumed, 0);
        }
        hs = Hs.DONE;
        return new SSLEngineResult(Status.OK, HandshakeStatus.FINISHED, consumed, 0);
    }

    private SSLEngineResult unwrapData(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        long capacity = remaining(dsts, offset, length);
        int consumed = 0;
        int produced = 0;
        boolean closed = false;
        while (!closed) {
            int rec = TlsRecords.length(src);
            if (rec == TlsRecords.INCOMPLETE) {
                if (consumed == 0 && produced == 0) {
                    return new SSLEngineResult(Status.BUFFER_UNDERFLOW, handshakeStatus(), 0, 0);
                }
                break;
            }
            if (rec == TlsRecords.NOT_TLS) {
                rec = src.remaining();
            } else if (capacity - produced < Math.min(rec - TlsRecords.RECORD_HEADER, NativeSsl.MAX_PLAINTEXT)) {
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
    }

    // ------------------------------------------------------------------ SSLEngine: life cycle

    @Override
    public synchronized void beginHandshake() throws SSLException {
        if (ssl == null || outboundClosed || inboundClosed) {
            throwIfTimedOut();
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
            // A second close: Netty's SslHandler calls closeOutbound again when the channel goes
            // inactive, but not closeInbound if it had closed the outbound side itself (a server-side
            // close). Nothing more can be read then: free now rather than leave it to the Cleaner.
            freeNative();
            return;
        }
        outboundClosed = true;
        if (ssl != null && task == null && (hs == Hs.DONE || hs == Hs.FINISHED_PENDING)) {
            ssl.shutdown(); // close_notify, sent by the next wrap
        }
        releaseIfClosed();
    }

    @Override
    public synchronized boolean isOutboundDone() {
        return outboundClosed && pendingOut() == 0;
    }

    /** Frees the native SSL now (also done automatically once both directions are closed). */
    synchronized void freeNative() {
        inboundClosed = true;
        outboundClosed = true;
        releaseIfClosed();
    }

    /** The handshake timeout passed before the handshake finished: give up and free the native state. */
    synchronized void handshakeTimedOut() {
        if (ssl != null && hs != Hs.DONE) {
            timedOut = true;
            inboundClosed = true;
            outboundClosed = true;
            releaseIfClosed();
            leftover = new byte[0]; // no alert: the peer, if any, gets the TCP close
            leftoverPos = 0;
        }
    }

    private void throwIfTimedOut() throws SSLHandshakeException {
        if (timedOut) {
            timedOut = false; // once: afterwards the engine reports CLOSED like any closed engine
            throw new SSLHandshakeException("the TLS handshake did not finish within "
                    + context.handshakeTimeout().toMillis() + " ms");
        }
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

    @Override
    public synchronized void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        callbacks.alpnSelector(selector);
    }

    @Override
    public synchronized BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return callbacks.alpnSelector();
    }

    // ------------------------------------------------------------------ ReferenceCounted (Netty's SslHandler releases on removal)

    @Override
    public synchronized int refCnt() {
        return refCnt;
    }

    @Override
    public synchronized ReferenceCounted retain() {
        return retain(1);
    }

    @Override
    public synchronized ReferenceCounted retain(int increment) {
        if (refCnt <= 0) {
            throw new IllegalReferenceCountException(refCnt, increment);
        }
        refCnt += increment;
        return this;
    }

    @Override
    public ReferenceCounted touch() {
        return this;
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        return this;
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public synchronized boolean release(int decrement) {
        if (decrement <= 0 || refCnt < decrement) {
            throw new IllegalReferenceCountException(refCnt, -decrement);
        }
        refCnt -= decrement;
        if (refCnt == 0) {
            freeNative();
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ internals

    private HandshakeStatus handshakeStatus() {
        if (task != null && ssl != null) {
            return HandshakeStatus.NEED_TASK;
        }
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
            handshakeTimer.cancel();
            hello = null;
            task = null;
            SessionLookup l = lookup;
            lookup = null;
            if (l != null) {
                l.cancel(); // the connection is gone: the store need not answer (nor send, if it has not yet)
            }
        }
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
}
