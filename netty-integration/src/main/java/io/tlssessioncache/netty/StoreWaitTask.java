package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.StoreDeadlines;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The engine's delegated task ({@code NEED_TASK}): waiting for the store, bounded by the deadline.
 * Two waits exist: for the connection's {@link SessionLookup} (then its record goes to OpenSSL's
 * session callback), and for the acknowledgement of the new sessions' writes (then the output held
 * back for them may go).
 *
 * <p>Each task knows when it is {@linkplain #whenReady ready} (the store answered, or the deadline
 * passed), so the context's handlers run it only then, on the thread that made it ready: nobody
 * blocks and no thread is started. Run earlier on another executor, it waits (at most the deadline).
 * Run earlier on the thread that drives the engine (an inline executor, the event loop) it never
 * waits: it takes what is there and counts the rest as {@code notAwaited}.
 */
abstract sealed class StoreWaitTask implements Runnable {
    final OpenSslServerEngine engine;
    /** Completes (normally) once the waiting is over: answered, or the deadline passed. */
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final long deadlineNanos;

    private StoreWaitTask(OpenSslServerEngine engine, long deadlineNanos) {
        this.engine = engine;
        this.deadlineNanos = deadlineNanos;
    }

    static StoreWaitTask lookup(OpenSslServerEngine engine, SessionLookup lookup) {
        return new Lookup(engine, lookup);
    }

    static StoreWaitTask puts(OpenSslServerEngine engine, List<CompletableFuture<Void>> puts, Duration deadline) {
        return new Puts(engine, puts, System.nanoTime() + deadline.toNanos());
    }

    /** Runs {@code r} once this task is ready, on the thread that makes it so (at once if it is). */
    void whenReady(Runnable r) {
        ready.whenComplete((v, e) -> r.run());
    }

    /** Completes {@link #ready} at the deadline with {@code onDeadline} (unless answered first). */
    void deadline(Runnable onDeadline) {
        // the store's timer thread: a lookup's backup, later than the store's own deadline, wakes nobody
        StoreDeadlines.atDeadline(ready, deadlineNanos - System.nanoTime(), onDeadline);
    }

    /** Whether the task may go on now; waits for readiness unless it runs on the engine's own thread. */
    boolean awaitReady() {
        if (ready.isDone()) {
            return true;
        }
        if (engine.onDriverThread()) {
            return false;
        }
        try {
            // the deadline timer completes it; the extra second only guards against a lost timer
            ready.get(Math.max(0, deadlineNanos - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // go on: the deadline has passed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private static final class Lookup extends StoreWaitTask {
        private final SessionLookup lookup;

        Lookup(OpenSslServerEngine engine, SessionLookup lookup) {
            super(engine, System.nanoTime() + Math.max(0, lookup.remainingNanos()));
            this.lookup = lookup;
            lookup.answer().whenComplete((r, e) -> ready.complete(null));
            deadline(lookup::expire); // completes the answer (a miss), hence ready
        }

        @Override
        public void run() {
            SessionRecord found = awaitReady() ? lookup.answer().getNow(null) : lookup.ifDone();
            engine.lookupAnswered(this, found);
        }
    }

    private static final class Puts extends StoreWaitTask {
        Puts(OpenSslServerEngine engine, List<CompletableFuture<Void>> puts, long deadlineNanos) {
            super(engine, deadlineNanos);
            // a failed write counts as answered: the store counted it, and the client gets an id that will miss
            CompletableFuture.allOf(puts.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> ready.complete(null));
            deadline(() -> {
                if (ready.complete(null)) {
                    engine.context().metrics().storeError("put-deadline");
                }
            });
        }

        @Override
        public void run() {
            if (!awaitReady()) {
                engine.context().metrics().notAwaited("put");
            }
            engine.taskDone(this);
        }
    }
}
