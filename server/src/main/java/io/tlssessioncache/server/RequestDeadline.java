package io.tlssessioncache.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A deadline for a whole request, not an idle timer: once the handshake is done, the first request
 * (HTTP/1.1: request line, headers and its small body; HTTP/2: preface, SETTINGS and the first
 * stream's HEADERS up to END_STREAM) must have arrived within the timeout, however the bytes are
 * spread. nginx's {@code client_header_timeout} is the model: a client sending one byte a second
 * keeps an idle timer alive forever, and with it a file descriptor. On an HTTP/1.1 keep-alive
 * connection each later request gets the same deadline from its first byte (waiting for that byte
 * is what the idle timeout bounds).
 *
 * <p>Sits right after the {@code SslHandler}, so it also sees how the handshake ended and counts a
 * failed one ({@link PeerErrors}). One instance per connection.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {

    private enum State { HANDSHAKE, AWAITING, BETWEEN_REQUESTS, DONE }

    private final long timeoutNanos;
    private final PeerErrors peerErrors;
    private final long createdNanos = System.nanoTime();
    private State state = State.HANDSHAKE;
    private boolean http2;
    private ScheduledFuture<?> timer;

    RequestDeadline(Duration timeout, PeerErrors peerErrors) {
        this.timeoutNanos = timeout.toNanos();
        this.peerErrors = peerErrors;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done && state == State.HANDSHAKE) {
            if (done.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                http2 = ssl != null && ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol());
                arm(ctx);
            } else {
                state = State.DONE;
                // A timeout or a peer's close during the handshake arrives only as this event.
                PeerErrors.Kind kind = PeerErrors.classify(done.cause(), false);
                if (kind != null) {
                    peerErrors.record(ctx.channel(), kind, done.cause());
                }
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (state == State.BETWEEN_REQUESTS && msg instanceof ByteBuf buf && buf.isReadable()) {
            arm(ctx); // the next request on a keep-alive connection has started
        }
        ctx.fireChannelRead(msg);
    }

    private void arm(ChannelHandlerContext ctx) {
        state = State.AWAITING;
        if (timeoutNanos == 0) {
            return;
        }
        timer = ctx.executor().schedule(() -> {
            if (state == State.AWAITING && ctx.channel().isActive()) {
                peerErrors.record(ctx.channel(), PeerErrors.Kind.REQUEST_HEAD_TIMEOUT, null);
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** A complete request arrived on this connection (or one of its HTTP/2 streams). */
    private void received() {
        if (state == State.AWAITING) {
            cancel();
            state = http2 ? State.DONE : State.BETWEEN_REQUESTS;
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        state = State.DONE;
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    /**
     * Placed right before the page in every HTTP/1.1 and HTTP/2 stream pipeline: tells the
     * connection's deadline that a complete request arrived.
     */
    @ChannelHandler.Sharable
    static final class Received extends ChannelInboundHandlerAdapter {
        static final Received INSTANCE = new Received();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                Channel channel = ctx.channel();
                Channel connection = channel instanceof Http2StreamChannel stream ? stream.parent() : channel;
                RequestDeadline deadline = connection.pipeline().get(RequestDeadline.class);
                if (deadline != null) {
                    deadline.received(); // same event loop: a stream channel runs on its parent's
                }
            }
            ctx.fireChannelRead(msg);
        }
    }
}
