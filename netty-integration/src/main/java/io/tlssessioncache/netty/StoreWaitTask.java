package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionRecord;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The engine's delegated task ({@code NEED_TASK}): waiting for the store, off the event loop, and
 * bounded by the deadline. Two waits exist: for the connection's {@link SessionLookup} (then its
 * record goes to OpenSSL's session callback), and for the acknowledgement of the new sessions' writes
 * (then the output held back for them may go). Run on the thread that drives the engine (an inline
 * executor, the event loop) it never waits: it takes what is there and counts the rest as
 * {@code notAwaited}.
 */
abstract sealed class StoreWaitTask implements Runnable {
    final OpenSslServerEngine engine;

    private StoreWaitTask(OpenSslServerEngine engine) {
        this.engine = engine;
    }

    static StoreWaitTask lookup(OpenSslServerEngine engine, SessionLookup lookup) {
        return new Lookup(engine, lookup);
    }

    static StoreWaitTask puts(OpenSslServerEngine engine, List<CompletableFuture<Void>> puts, Duration deadline) {
        return new Puts(engine, puts, System.nanoTime() + deadline.toNanos());
    }

    private static final class Lookup extends StoreWaitTask {
        private final SessionLookup lookup;

        Lookup(OpenSslServerEngine engine, SessionLookup lookup) {
            super(engine);
            this.lookup = lookup;
        }

        @Override
        public void run() {
            SessionRecord found = engine.onDriverThread() ? lookup.ifDone() : lookup.await();
            engine.lookupAnswered(this, found);
        }
    }

    private static final class Puts extends StoreWaitTask {
        private final List<CompletableFuture<Void>> puts;
        private final long deadline;

        Puts(OpenSslServerEngine engine, List<CompletableFuture<Void>> puts, long deadline) {
            super(engine);
            this.puts = puts;
            this.deadline = deadline;
        }

        @Override
        public void run() {
            if (engine.onDriverThread()) {
                engine.context().metrics().notAwaited("put");
            } else {
                try {
                    CompletableFuture.allOf(puts.toArray(new CompletableFuture<?>[0]))
                            .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    engine.context().metrics().storeError("put-deadline");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    // a failed write: the store counted it; the client gets an id that will miss
                }
            }
            engine.taskDone(this);
        }
    }
}
