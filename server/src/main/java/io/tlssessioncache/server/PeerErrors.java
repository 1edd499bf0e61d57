package io.tlssessioncache.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What remote peers did wrong, counted, and what went wrong on our side, logged.
 *
 * <p>A peer's misbehaviour (a reset, a bad record, a failed or timed-out handshake, a bad HTTP/2
 * preface, a slow request head) costs one meter increment ({@code tls_session_cache_peer_errors_total{kind}})
 * and one DEBUG line without the bytes it sent: a per-connection WARN or stack trace would let any
 * client write the server's log at line rate. {@link #summarize} writes at most one line per
 * interval with the counts. Our own faults (anything that is not a peer's doing) are logged at
 * ERROR with their stack trace, at most {@link #TRACES_PER_INTERVAL} per interval (the rest are
 * counted and summarized), and counted as {@code tls_session_cache_internal_errors_total}.
 */
final class PeerErrors {

    /** Why a peer's connection ended badly; the meter's {@code kind} tag. */
    enum Kind {
        RESET_IN_HANDSHAKE("reset-in-handshake", "reset by the peer during the handshake"),
        CLOSED_IN_HANDSHAKE("closed-in-handshake", "closed by the peer during the handshake"),
        HANDSHAKE_FAILED("handshake-failed", "failed the TLS handshake"),
        HANDSHAKE_TIMEOUT("handshake-timeout", "did not finish the handshake in time"),
        RESET("reset", "reset by the peer after the handshake"),
        BAD_RECORD("bad-record", "sent a bad TLS record"),
        HTTP2_PROTOCOL("http2-protocol", "broke HTTP/2 (bad preface or frames)"),
        BAD_REQUEST("bad-request", "sent a malformed HTTP request"),
        REQUEST_HEAD_TIMEOUT("request-head-timeout", "sent no complete request in time");

        final String tag;
        final String phrase;

        Kind(String tag, String phrase) {
            this.tag = tag;
            this.phrase = phrase;
        }
    }

    /** Stack traces of internal errors written per summary interval; the rest are only counted. */
    static final int TRACES_PER_INTERVAL = 5;

    private static final Logger log = LoggerFactory.getLogger(PeerErrors.class);
    /** Set on a connection once its first peer error is counted: a connection counts once. */
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(PeerErrors.class, "counted");

    private final Map<Kind, Counter> meters = new EnumMap<>(Kind.class);
    private final Map<Kind, LongAdder> window = new EnumMap<>(Kind.class);
    private final Counter internalMeter;
    private final LongAdder internalWindow = new LongAdder();
    private final AtomicLong tracesLeft = new AtomicLong(TRACES_PER_INTERVAL);
    private final LongAdder refusedWindow = new LongAdder();

    private final Terminal terminal = new Terminal();

    PeerErrors(MeterRegistry registry) {
        for (Kind kind : Kind.values()) {
            meters.put(kind, Counter.builder("tls.session.cache.peer.errors")
                    .description("Connections ended by a peer's misbehaviour, by kind")
                    .tag("kind", kind.tag).register(registry));
            window.put(kind, new LongAdder());
        }
        internalMeter = Counter.builder("tls.session.cache.internal.errors")
                .description("Unexpected exceptions in the server's own pipeline (bugs), logged at ERROR")
                .register(registry);
    }

    /** Counts {@code kind} for the connection of {@code channel} (a stream counts for its connection), once per connection. */
    void record(Channel channel, Kind kind, Throwable cause) {
        Channel connection = connection(channel);
        if (connection.attr(COUNTED).setIfAbsent(Boolean.TRUE) != null) {
            return;
        }
        meters.get(kind).increment();
        window.get(kind).increment();
        if (log.isDebugEnabled()) {
            log.debug("{} {}{}", connection, kind.tag, cause == null ? "" : ": " + describe(cause));
        }
    }

    /** A connection refused at accept because {@code --max-connections} were open (counted by the limiter's own meter). */
    void refused() {
        refusedWindow.increment();
    }

    /**
     * Counts and closes after an exception that reached the end of a pipeline: a peer's fault is
     * counted quietly, anything else is ours and logged at ERROR with its stack trace (bounded).
     */
    void exceptionCaught(Channel channel, Throwable cause) {
        Kind kind = classify(cause, handshakeDone(channel));
        if (kind != null) {
            record(channel, kind, cause);
        } else {
            internalMeter.increment();
            internalWindow.increment();
            if (tracesLeft.getAndDecrement() > 0) {
                log.error("{} unexpected error, closing the connection", connection(channel), cause);
            }
        }
        channel.close();
    }

    /** The last handler of every connection's and HTTP/2 stream's pipeline: nothing reaches Netty's tail WARN. */
    ChannelHandler terminal() {
        return terminal;
    }

    @ChannelHandler.Sharable
    private final class Terminal extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            PeerErrors.this.exceptionCaught(ctx.channel(), cause);
        }
    }

    /** The peer's fault this exception stands for, or null when it is ours. */
    static Kind classify(Throwable cause, boolean handshakeDone) {
        Throwable t = cause;
        // SslHandler and ByteToMessageDecoder wrap what the decoder threw
        while (t instanceof DecoderException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SslHandshakeTimeoutException) {
            return Kind.HANDSHAKE_TIMEOUT;
        }
        if (t instanceof SSLException) {
            return handshakeDone ? Kind.BAD_RECORD : Kind.HANDSHAKE_FAILED;
        }
        if (t instanceof Http2Exception || cause instanceof Http2Exception) {
            return Kind.HTTP2_PROTOCOL;
        }
        if (t instanceof ClosedChannelException) {
            return handshakeDone ? Kind.RESET : Kind.CLOSED_IN_HANDSHAKE;
        }
        if (t instanceof IOException) {
            return handshakeDone ? Kind.RESET : Kind.RESET_IN_HANDSHAKE;
        }
        if (t instanceof DecoderException) {
            // a decoder's own verdict on the input (too long, corrupt), not a wrapped bug
            return Kind.BAD_REQUEST;
        }
        return null;
    }

    /**
     * What to say about a peer's exception: its type, and its message only where that cannot carry
     * the peer's bytes (Netty's decoder and HTTP/2 messages include hex dumps or text of the input).
     */
    static String describe(Throwable cause) {
        Throwable t = cause;
        while (t instanceof DecoderException && t.getCause() != null) {
            t = t.getCause();
        }
        boolean safe = (t instanceof IOException && !(t instanceof NotSslRecordException))
                && !(t instanceof Http2Exception);
        String message = safe ? t.getMessage() : null;
        return t.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }

    private static boolean handshakeDone(Channel channel) {
        SslHandler ssl = connection(channel).pipeline().get(SslHandler.class);
        return ssl != null && ssl.handshakeFuture().isSuccess();
    }

    private static Channel connection(Channel channel) {
        return channel instanceof Http2StreamChannel stream ? stream.parent() : channel;
    }

    /** Writes one line with what happened since the last call (nothing if nothing happened); for a timer. */
    void summarize(Duration interval) {
        StringJoiner parts = new StringJoiner(", ");
        long total = 0;
        for (Kind kind : Kind.values()) {
            long n = window.get(kind).sumThenReset();
            if (n > 0) {
                parts.add(count(n) + " " + kind.phrase + " (" + kind.tag + ")");
                total += n;
            }
        }
        long refused = refusedWindow.sumThenReset();
        long internal = internalWindow.sumThenReset();
        long untraced = Math.max(0, -tracesLeft.getAndSet(TRACES_PER_INTERVAL));
        if (total == 0 && refused == 0 && internal == 0) {
            return;
        }
        String seconds = interval.toMillis() % 1000 == 0 ? interval.toSeconds() + " s" : interval.toMillis() + " ms";
        StringBuilder line = new StringBuilder();
        if (total > 0) {
            line.append(count(total)).append(total == 1 ? " connection" : " connections")
                    .append(" ended by peer errors in the last ").append(seconds).append(": ").append(parts);
        }
        if (refused > 0) {
            line.append(line.isEmpty() ? "" : "; ").append(count(refused))
                    .append(" refused at accept (--max-connections reached) in the last ").append(seconds);
        }
        if (internal > 0) {
            line.append(line.isEmpty() ? "" : "; ").append(count(internal)).append(" internal errors")
                    .append(untraced > 0 ? " (" + count(untraced) + " without a logged stack trace)" : "");
        }
        if (refused > 0 || internal > 0) {
            log.warn("{}", line);
        } else {
            log.info("{}", line);
        }
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
