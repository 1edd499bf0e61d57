package io.tlssessioncache.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ImmediateExecutor;

import java.util.concurrent.Executor;

/**
 * Netty's {@link SslHandler}, unchanged except that {@link #applicationProtocol()} asks the
 * engine: Netty only asks engines implementing its package-private {@code ApplicationProtocolAccessor},
 * which ours cannot. With this, {@link io.netty.handler.ssl.ApplicationProtocolNegotiationHandler}
 * (which looks up {@code SslHandler.class} in the pipeline, subclasses included) sees ALPN; and
 * it frees the engine's native memory when it leaves the pipeline.
 */
public final class ResumingSslHandler extends SslHandler {
    private final OpenSslServerEngine engine;

    ResumingSslHandler(OpenSslServerEngine engine, boolean startTls) {
        this(engine, startTls, ImmediateExecutor.INSTANCE);
    }

    ResumingSslHandler(OpenSslServerEngine engine, boolean startTls, Executor executor) {
        super(engine, startTls, executor);
        this.engine = engine;
    }

    /** The engine (also {@link #engine()}), typed. */
    public OpenSslServerEngine openSslEngine() {
        return engine;
    }

    /**
     * Netty releases only {@code ReferenceCounted} engines here; ours owns native memory too, so
     * free it now (SslHandler skips {@code closeInbound} when it closed the outbound side itself).
     */
    @Override
    public void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        try {
            super.handlerRemoved0(ctx);
        } finally {
            engine.release();
        }
    }

    @Override
    public String applicationProtocol() {
        String p = engine.getApplicationProtocol();
        return p == null || p.isEmpty() ? null : p;
    }
}
