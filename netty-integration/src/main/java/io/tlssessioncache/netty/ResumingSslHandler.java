package io.tlssessioncache.netty;

import io.netty.handler.ssl.SslHandler;

import java.util.concurrent.Executor;

/**
 * Netty's {@link SslHandler}, unchanged except that {@link #applicationProtocol()} asks our engine:
 * Netty asks only engines implementing its package-private {@code ApplicationProtocolAccessor}, which
 * ours cannot. With this, {@link io.netty.handler.ssl.ApplicationProtocolNegotiationHandler} (which
 * looks up {@code SslHandler.class} in the pipeline, subclasses included) sees ALPN. The engine's
 * native memory is freed by {@code SslHandler} itself: it releases {@code ReferenceCounted} engines
 * when it leaves the pipeline.
 */
final class ResumingSslHandler extends SslHandler {
    private final OpenSslServerEngine engine;

    ResumingSslHandler(OpenSslServerEngine engine, boolean startTls, Executor delegatedTaskExecutor) {
        super(engine, startTls, delegatedTaskExecutor);
        this.engine = engine;
    }

    @Override
    public String applicationProtocol() {
        String p = engine.getApplicationProtocol();
        return p == null || p.isEmpty() ? null : p;
    }
}
