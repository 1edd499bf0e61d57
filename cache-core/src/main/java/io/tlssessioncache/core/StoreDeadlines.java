package io.tlssessioncache.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one timer thread of this process's store deadlines: the store's own (a lookup that the storage
 * has not answered in time is a miss) and the TLS engine's backup deadline.
 *
 * <p>Why one {@link ScheduledThreadPoolExecutor} rather than {@link CompletableFuture#orTimeout}: a
 * deadline wakes this thread only when it is earlier than every pending one, and a cancelled deadline
 * is removed without waking it; the JDK's own delay scheduler (JDK 25) wakes its thread for every
 * deadline and again for every cancellation. A remote lookup carries two deadlines (the store's, then
 * the engine's later backup), and nearly every lookup is answered in time: measured on a resuming
 * node, the timer threads ran 1.2 times per remote lookup instead of 3.0 (TLS 1.2; 2.2 instead of
 * 4.1 for TLS 1.3, which also waits for its new ticket's write), one thread instead of two.
 *
 * <p>Infrastructure shared by this library's modules, not an extension point.
 */
public final class StoreDeadlines {
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private StoreDeadlines() {
    }

    /**
     * Runs {@code action} on the timer thread after {@code delayNanos} unless {@code done} completes
     * first, which cancels the timer (waking nobody); nothing is scheduled if {@code done} is complete
     * already. {@code action} must not block.
     */
    public static void atDeadline(CompletableFuture<?> done, long delayNanos, Runnable action) {
        if (!done.isDone()) {
            ScheduledFuture<?> timer = schedule(action, delayNanos);
            done.whenComplete((v, e) -> timer.cancel(false));
        }
    }

    /**
     * Completes {@code stage} with a {@link TimeoutException} if it is not complete within
     * {@code delayNanos}, as {@link CompletableFuture#orTimeout} does.
     */
    public static <T> CompletableFuture<T> orTimeout(CompletableFuture<T> stage, long delayNanos) {
        atDeadline(stage, delayNanos, () -> stage.completeExceptionally(new TimeoutException()));
        return stage;
    }

    /** Runs {@code action} on the timer thread after {@code delayNanos} unless cancelled first. */
    static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return TIMER.schedule(action, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    /** Deadlines pending (for tests: answered ones leave nothing queued). */
    static int pending() {
        return TIMER.getQueue().size();
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tls-session-store-deadlines");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true); // answered lookups leave nothing queued
        return e;
    }
}
