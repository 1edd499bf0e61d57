package io.tlssessioncache.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsyncMapping;
import io.netty.util.Mapping;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

/**
 * The first handler of a TLS server channel: waits for the ClientHello, looks the offered session up
 * in the store without blocking the event loop, and replaces itself with the {@link SslHandler} of
 * the chosen {@link ResumingSslContext}, its engine holding the record found (if any).
 *
 * <p>What is looked up: the first 32-byte PSK identity of a TLS 1.3 ClientHello is <em>taken</em>
 * (atomic get-and-delete: tickets are single use, RFC 8446 section 8.1); failing that, the 32-byte
 * legacy session id of a client that will negotiate TLS 1.2 is <em>read</em> (TLS 1.2 sessions are
 * reusable). Anything else is a full handshake with no lookup.
 *
 * <p>A lookup never fails a connection: a store error, an answer later than the context's
 * lookup deadline ({@link ResumingSslContextBuilder#lookupDeadline}), or a record that does not fit is a full handshake.
 * Only the connection itself can fail it: a malformed ClientHello (see {@link ClientHelloParser}),
 * a first record that is no ClientHello, an oversized ClientHello, no context for its server name,
 * or no ClientHello within the hello timeout close that connection, with one debug log line.
 *
 * <p>One instance per channel (it holds the connection's state), created in a
 * {@code ChannelInitializer} like Netty's {@code SniHandler}, which this mirrors: a single context,
 * or a {@link Mapping}/{@link AsyncMapping} by server name (one port, several certificates; each
 * context has its own namespace, so a session never resumes under another context).
 */
public final class ClientHelloLookupHandler extends SslClientHelloHandler<ClientHelloLookupHandler.Resolution> {
    /** How long a connection may take to send its ClientHello (Netty's SniHandler default). */
    public static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(ClientHelloLookupHandler.class);

    private final ResumingSslContext fixed;
    private final AsyncMapping<String, ResumingSslContext> mapping;
    private final SessionCacheMetrics metrics;
    private final long helloTimeoutNanos;
    private ScheduledFuture<?> helloTimer;
    private SessionLookup pending; // this connection's lookup, cancelled if the client leaves first
    private boolean closing;

    /** Every connection uses {@code context}. */
    public ClientHelloLookupHandler(ResumingSslContext context) {
        this(Objects.requireNonNull(context, "context"), null, SessionCacheMetrics.noop(), DEFAULT_HELLO_TIMEOUT);
    }

    /** The context is chosen by the SNI host name ({@code null} when the client sent none). */
    public ClientHelloLookupHandler(Mapping<? super String, ? extends ResumingSslContext> mapping) {
        this(adapt(mapping), SessionCacheMetrics.noop(), DEFAULT_HELLO_TIMEOUT);
    }

    /** The context is chosen asynchronously by the SNI host name ({@code null} when the client sent none). */
    public ClientHelloLookupHandler(AsyncMapping<? super String, ? extends ResumingSslContext> mapping) {
        this(mapping, SessionCacheMetrics.noop(), DEFAULT_HELLO_TIMEOUT);
    }

    /** As {@link #ClientHelloLookupHandler(ResumingSslContext)}, reporting to {@code metrics}, with a hello timeout. */
    public ClientHelloLookupHandler(ResumingSslContext context, SessionCacheMetrics metrics, Duration helloTimeout) {
        this(Objects.requireNonNull(context, "context"), null, metrics, helloTimeout);
    }

    /**
     * @param mapping      server name ({@code null} if none) to context; a failed or {@code null}
     *                     answer closes the connection
     * @param metrics      where malformed hellos ({@code rejected("malformed-hello")}), records
     *                     that do not fit ({@code rejected("wrong-key")}), lookups cut by the
     *                     deadline ({@code storeError("lookup-deadline")}) and stores that throw
     *                     instead of failing their stage ({@code storeError("get"/"take")}) are
     *                     counted; the store counts its own lookups, hits, misses and latency
     * @param helloTimeout how long a new connection may take to send its ClientHello; zero for no limit
     */
    @SuppressWarnings("unchecked")
    public ClientHelloLookupHandler(AsyncMapping<? super String, ? extends ResumingSslContext> mapping,
                                    SessionCacheMetrics metrics, Duration helloTimeout) {
        this(null, (AsyncMapping<String, ResumingSslContext>) Objects.requireNonNull(mapping, "mapping"),
                metrics, helloTimeout);
    }

    private ClientHelloLookupHandler(ResumingSslContext fixed, AsyncMapping<String, ResumingSslContext> mapping,
                                     SessionCacheMetrics metrics, Duration helloTimeout) {
        this.fixed = fixed;
        this.mapping = mapping;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        if (helloTimeout.isNegative()) {
            throw new IllegalArgumentException("helloTimeout must not be negative");
        }
        this.helloTimeoutNanos = helloTimeout.toNanos();
    }

    private static AsyncMapping<String, ResumingSslContext> adapt(
            Mapping<? super String, ? extends ResumingSslContext> mapping) {
        Objects.requireNonNull(mapping, "mapping");
        return (name, promise) -> {
            try {
                return promise.setSuccess(mapping.map(name));
            } catch (Throwable t) {
                return promise.setFailure(t);
            }
        };
    }

    // ---- the hello timeout (a connection that never speaks must not hold a channel forever) ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (ctx.channel().isActive()) {
            startHelloTimer(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startHelloTimer(ctx);
        ctx.fireChannelActive();
    }

    private void startHelloTimer(ChannelHandlerContext ctx) {
        if (helloTimeoutNanos == 0 || helloTimer != null) {
            return;
        }
        helloTimer = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                log.debug("{}: no ClientHello within {} ms, closing", ctx.channel(),
                        TimeUnit.NANOSECONDS.toMillis(helloTimeoutNanos));
                ctx.close();
            }
        }, helloTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelHelloTimer() {
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancelHelloTimer();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        SessionLookup l = pending;
        if (l != null) {
            l.cancel(); // the client left while we looked: the store need not answer (nor send, if it has not yet)
        }
        super.channelInactive(ctx);
    }

    // ---- lookup ----

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (closing) {
            // SslClientHelloHandler leaves the hello in the buffer for the SslHandler; once we chose
            // to close, decoding it again (channelInactive calls decodeLast) would parse, and count,
            // the same bad hello twice
            in.skipBytes(in.readableBytes());
            return;
        }
        super.decode(ctx, in, out);
    }

    @Override
    protected Future<Resolution> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) {
        cancelHelloTimer();
        if (clientHello == null) {
            // SslClientHelloHandler found a first record that is not a ClientHello (another content
            // type, another handshake message, an SSLv2-style hello or plain text). A server's first
            // message from a client must be a ClientHello, so the handshake could only fail.
            return ctx.executor().newSucceededFuture(Resolution.malformed("the first record is not a ClientHello"));
        }
        ClientHelloInfo hello;
        try {
            // the buffer is released by SslClientHelloHandler once this returns or the future
            // completes; the parse copies all it keeps
            hello = ClientHelloParser.parse(clientHello);
        } catch (MalformedClientHelloException e) {
            return ctx.executor().newSucceededFuture(Resolution.malformed(e.getMessage()));
        }
        Promise<Resolution> result = ctx.executor().newPromise();
        if (fixed != null) {
            lookupSession(ctx, fixed, hello, result);
            return result;
        }
        String name = hello.serverName().orElse(null);
        Future<ResumingSslContext> chosen;
        try {
            chosen = mapping.map(name, ctx.executor().newPromise());
        } catch (Throwable t) {
            chosen = ctx.executor().newFailedFuture(t);
        }
        // runs at once if the mapping already answered, else on the event loop when it does
        chosen.addListener((Future<ResumingSslContext> f) -> {
            if (f.isSuccess() && f.getNow() != null) {
                lookupSession(ctx, f.getNow(), hello, result);
            } else {
                result.trySuccess(Resolution.closed("no context for server name " + (name == null ? "(none)" : name)));
            }
        });
        return result;
    }

    private void lookupSession(ChannelHandlerContext ctx, ResumingSslContext context, ClientHelloInfo hello,
                               Promise<Resolution> result) {
        String serverName = hello.serverName().orElse(null);
        if (!ctx.channel().isActive()) {
            // gone while an asynchronous mapping chose the context: no store command for nobody
            result.trySuccess(Resolution.closed("the client left before the lookup"));
            return;
        }
        SessionLookup lookup = SessionLookup.start(context, hello, metrics); // the same decision the engine makes itself
        pending = lookup;
        // The answer may complete on any thread (a Redis I/O thread): Netty promises are thread-safe,
        // and SslClientHelloHandler's listener (hence onLookupComplete) runs on the event loop.
        lookup.answer().whenComplete((record, never) ->
                result.trySuccess(new Resolution(context, lookup, record, serverName, null)));
        if (!result.isDone()) {
            ScheduledFuture<?> timer = ctx.executor().schedule(lookup::expire, lookup.remainingNanos(),
                    TimeUnit.NANOSECONDS);
            result.addListener(f -> timer.cancel(false));
        }
    }

    // ---- hand-over ----

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<Resolution> future) {
        Resolution r = future.isSuccess() && future.getNow() != null
                ? future.getNow()
                : Resolution.closed("lookup failed");
        pending = null;
        if (r.context() == null) {
            if (r.malformed()) {
                metrics.rejected("malformed-hello");
            }
            closing = true;
            log.debug("{}: {}, closing", ctx.channel(), r.detail());
            ctx.fireUserEventTriggered(new SniCompletionEvent(new DecoderException(r.detail())));
            ctx.close();
            return;
        }
        if (!ctx.channel().isActive()) {
            // the client left while we looked: nothing to hand over (and a handler added to a
            // closed pipeline would never be removed, leaking its engine)
            return;
        }
        SslHandler sslHandler = null;
        try {
            sslHandler = r.context().newHandler(ctx.alloc());
            ((OpenSslServerEngine) sslHandler.engine()).resolved(r.lookup().certificate(), r.record());
            // SslClientHelloHandler forwards the buffered ClientHello to the SslHandler on removal
            ctx.pipeline().replace(this, SslHandler.class.getName(), sslHandler);
            sslHandler = null;
        } catch (RuntimeException | SSLException e) {
            // A server-side fault (e.g. a closed context refusing new engines), not the client's.
            // SslClientHelloHandler would pass it to the next handler and leave the channel open:
            // close it here instead, and say so loudly enough to be seen.
            closing = true;
            log.warn("{}: could not start TLS, closing: {}", ctx.channel(), e.toString());
            ctx.close();
            return;
        } finally {
            // not in the pipeline: the engine (its native SSL, the offered session) is still ours to free
            if (sslHandler != null) {
                ((OpenSslServerEngine) sslHandler.engine()).release();
            }
        }
        ctx.fireUserEventTriggered(new SniCompletionEvent(r.serverName()));
    }

    // ---- errors before the hand-over belong to this connection only ----

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (cause instanceof DecoderException || cause instanceof IOException) {
            // Not-TLS bytes (NotSslRecordException), an oversized ClientHello (TooLongFrameException)
            // or a reset before the hello. One debug line, no stack trace, no input bytes: Netty's
            // messages for these carry a hex dump of what was received.
            Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (cause instanceof DecoderException) {
                metrics.rejected("malformed-hello");
            }
            closing = true;
            log.debug("{}: {} before the TLS handshake, closing", ctx.channel(), root.getClass().getSimpleName());
            ctx.close();
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * What {@link #lookup} decided for a connection: the context to hand over to (none: close the
     * connection), its lookup, and the record to resume (none: full handshake). {@code detail} is a
     * reason for the log, never input bytes.
     */
    record Resolution(ResumingSslContext context, SessionLookup lookup, SessionRecord record, String serverName,
                      String detail, boolean malformed) {
        Resolution(ResumingSslContext context, SessionLookup lookup, SessionRecord record, String serverName,
                   String detail) {
            this(context, lookup, record, serverName, detail, false);
        }

        static Resolution closed(String detail) {
            return new Resolution(null, null, null, null, detail, false);
        }

        static Resolution malformed(String detail) {
            return new Resolution(null, null, null, null, detail, true);
        }

        /** Never shows the record's state (SessionRecord.toString leaves it out anyway). */
        @Override
        public String toString() {
            return "Resolution[" + (lookup == null ? detail : lookup.toString()) + "]";
        }
    }
}
