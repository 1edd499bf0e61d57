package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.StoreFixtures.fresh;
import static io.tlssessioncache.redis.StoreFixtures.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tlssessioncache.core.CountingMetrics;
import io.tlssessioncache.core.SessionRecord;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link RedisStoreOptions.Builder#eventLoopGroup}: Lettuce on a borrowed (server) event loop, on a real Redis. */
@Timeout(60)
class SharedEventLoopTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    /** Runs {@code op} on {@code loop}; answers the result and the thread its stage completed on. */
    private static <T> Answer<T> onLoop(EventLoop loop, Supplier<CompletionStage<T>> op) throws Exception {
        CompletableFuture<Answer<T>> done = new CompletableFuture<>();
        loop.execute(() -> op.get().whenComplete((v, e) -> {
            if (e != null) {
                done.completeExceptionally(e);
            } else {
                done.complete(new Answer<>(v, Thread.currentThread()));
            }
        }));
        return done.get(10, TimeUnit.SECONDS);
    }

    private record Answer<T>(T value, Thread thread) {
    }

    @Test
    void aLookupIssuedOnTheLoopIsAnsweredOnItAndTheGroupOutlivesTheStore() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = group.next();
            Thread loopThread = loop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
            RedisStoreOptions options = StoreFixtures.options(new CountingMetrics()).eventLoopGroup(group).build();
            SessionRecord r = fresh(namespace());
            try (RedisNearCache redis = RedisSessionStores.open(REDIS.standaloneServer().uri(), options)) {
                RedisSessionStore store = redis.remote();
                onLoop(loop, () -> store.put(r));
                Answer<Optional<SessionRecord>> got = onLoop(loop, () -> store.get(r.key()));
                assertEquals(Optional.of(r), got.value());
                // no hand-off to a Lettuce thread: Redis's answer was read on the loop that asked
                assertEquals(loopThread, got.thread());
                assertEquals(Optional.of(r), onLoop(loop, () -> store.take(r.key())).value());
                assertEquals(Optional.empty(), onLoop(loop, () -> store.take(r.key())).value());
            }
            // closing the store released the loop without shutting it down
            assertFalse(group.isShuttingDown());
            assertTrue(loop.submit(() -> true).get(10, TimeUnit.SECONDS));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }
}
