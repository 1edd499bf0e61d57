package io.tlssessioncache.redis;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.MultithreadEventExecutorGroup;
import java.util.concurrent.TimeUnit;

/**
 * Lends Lettuce an event loop group it does not own (the server's), so a command issued on one of
 * its event loops is written there, and its answer read there, with no hand-off to a Lettuce thread.
 * Releasing or shutting down does nothing: the group belongs to whoever created it, and must outlive
 * the store.
 */
final class SharedEventLoopGroupProvider implements EventLoopGroupProvider {
    private final EventLoopGroup group;

    SharedEventLoopGroupProvider(EventLoopGroup group) {
        this.group = group;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        // Lettuce asks for the group type of its transport (NIO unless netty's epoll is on the class
        // path); Netty 4.2's MultiThreadIoEventLoopGroup with NioIoHandler runs NIO channels.
        return (T) group;
    }

    @Override
    public int threadPoolSize() {
        return group instanceof MultithreadEventExecutorGroup m ? m.executorCount() : 1;
    }

    @Override
    public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }

    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit timeUnit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }
}
