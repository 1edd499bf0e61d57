package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionStore;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test store: a map (take really deletes; no expiry) that records every lookup and can misbehave on demand:
 * fail, throw, never answer, answer only when a test opens its gate (from the test thread, i.e.
 * off the event loop, as a remote store would), or answer from another thread after a delay (as
 * Redis does). Puts can be held until a test opens {@link #putGate}.
 */
final class MapSessionStore implements SessionStore {
    enum Mode { NORMAL, FAIL, THROW, HANG, GATED, DELAYED }

    private static final java.util.concurrent.ScheduledExecutorService LATER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "map-store-answers");
                t.setDaemon(true);
                return t;
            });

    /** DELAYED: how long an answer takes. */
    volatile long delayMillis = 20;
    /** When set, puts complete only once it completes (the record is in the map at once). */
    volatile CompletableFuture<Void> putGate;
    /** System.nanoTime() of each DELAYED answer, in order. */
    final List<Long> answeredAt = new CopyOnWriteArrayList<>();
    /** Lookup stages the caller cancelled. */
    final List<CompletableFuture<?>> cancelled = new CopyOnWriteArrayList<>();

    final ConcurrentHashMap<SessionKey, SessionRecord> map = new ConcurrentHashMap<>();
    final List<SessionKey> gets = new CopyOnWriteArrayList<>();
    final List<SessionKey> takes = new CopyOnWriteArrayList<>();
    volatile Mode mode = Mode.NORMAL;
    volatile CompletableFuture<Void> gate = new CompletableFuture<>();
    /** When set (mode NORMAL), every get and take answers this record, whatever the key. */
    volatile SessionRecord forced;

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        map.put(record.key(), record);
        CompletableFuture<Void> gate = putGate;
        return gate == null ? CompletableFuture.completedFuture(null) : gate.thenApply(v -> null);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        gets.add(key);
        return answer(() -> Optional.ofNullable(map.get(key)));
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        takes.add(key);
        return answer(() -> Optional.ofNullable(map.remove(key)));
    }

    private CompletionStage<Optional<SessionRecord>> answer(java.util.function.Supplier<Optional<SessionRecord>> op) {
        return switch (mode) {
            case NORMAL -> CompletableFuture.completedFuture(forced != null ? Optional.of(forced) : op.get());
            case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("store down (test)"));
            case THROW -> throw new IllegalStateException("store broken (test)");
            case HANG -> new CompletableFuture<>();
            case GATED -> gate.thenApply(v -> op.get());
            case DELAYED -> {
                CompletableFuture<Optional<SessionRecord>> f = new CompletableFuture<>();
                f.whenComplete((v, e) -> {
                    if (f.isCancelled()) {
                        cancelled.add(f);
                    }
                });
                LATER.schedule(() -> {
                    if (!f.isDone()) {
                        answeredAt.add(System.nanoTime());
                        f.complete(op.get());
                    }
                }, delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
                yield f;
            }
        };
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        return CompletableFuture.completedFuture(map.remove(key) != null);
    }
}
