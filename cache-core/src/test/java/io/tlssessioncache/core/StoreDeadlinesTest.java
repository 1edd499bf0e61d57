package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class StoreDeadlinesTest {

    @Test
    void anUnansweredStageTimesOutOnTheDeadlineThreadAndNotBefore() throws Exception {
        CompletableFuture<String> stage = new CompletableFuture<>();
        AtomicReference<String> thread = new AtomicReference<>();
        long t0 = System.nanoTime();
        Throwable failure = StoreDeadlines.orTimeout(stage, TimeUnit.MILLISECONDS.toNanos(40))
                .handle((v, e) -> {
                    thread.set(Thread.currentThread().getName());
                    return e;
                }).get(5, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40), "not before the deadline");
        assertInstanceOf(TimeoutException.class, failure, "a store can tell 'too slow' from 'cancelled'");
        assertEquals("tls-session-store-deadlines", thread.get());
    }

    @Test
    void answeredStagesLeaveNothingQueued() {
        int before = StoreDeadlines.pending();
        List<CompletableFuture<String>> stages = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            stages.add(StoreDeadlines.orTimeout(new CompletableFuture<>(), TimeUnit.SECONDS.toNanos(30)));
        }
        assertTrue(StoreDeadlines.pending() >= before + 1_000);
        stages.forEach(s -> s.complete("answered"));
        assertTrue(StoreDeadlines.pending() <= before, "cancelled deadlines are removed at once");
        assertFalse(stages.getFirst().isCompletedExceptionally());
    }

    @Test
    void aStageAnsweredAlreadyGetsNoTimer() {
        int before = StoreDeadlines.pending();
        StoreDeadlines.orTimeout(CompletableFuture.completedFuture("at once"), TimeUnit.SECONDS.toNanos(30));
        assertEquals(before, StoreDeadlines.pending());
    }

    /**
     * The reason for this class: a deadline later than a pending one, and a cancelled one, do not
     * wake the timer thread (the JDK's delay scheduler wakes its thread for both). Counted from the
     * kernel's run count of the thread ({@code /proc/self/task/TID/schedstat}, Linux).
     */
    @Test
    void laterAndCancelledDeadlinesDoNotWakeTheTimerThread() throws Exception {
        ScheduledFuture<?> earliest = StoreDeadlines.schedule(() -> { }, TimeUnit.SECONDS.toNanos(20));
        try {
            Path timer = timerThread();
            assumeTrue(timer != null, "needs Linux's /proc/self/task/*/schedstat");
            Thread.sleep(50); // let the wake-up of the first schedule settle
            long runs0 = runs(timer);
            for (int i = 0; i < 500; i++) {
                // a remote lookup's two deadlines (the store's, the engine's later backup), answered
                ScheduledFuture<?> store = StoreDeadlines.schedule(() -> { }, TimeUnit.SECONDS.toNanos(25));
                ScheduledFuture<?> engine = StoreDeadlines.schedule(() -> { }, TimeUnit.SECONDS.toNanos(26));
                store.cancel(false);
                engine.cancel(false);
            }
            Thread.sleep(50);
            long woken = runs(timer) - runs0;
            assertTrue(woken < 20, "1,000 later deadlines and 1,000 cancellations woke the timer thread " + woken + " times");
        } finally {
            earliest.cancel(false);
        }
    }

    private static Path timerThread() throws IOException {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return null;
        }
        try (Stream<Path> s = Files.list(tasks)) {
            return s.filter(t -> {
                try {
                    // the kernel keeps 15 characters of a thread's name
                    return Files.readString(t.resolve("comm")).strip().equals("tls-session-sto");
                } catch (IOException e) {
                    return false;
                }
            }).findFirst().filter(t -> Files.isReadable(t.resolve("schedstat"))).orElse(null);
        }
    }

    private static long runs(Path thread) throws IOException {
        return Long.parseLong(Files.readString(thread.resolve("schedstat")).strip().split(" ")[2]);
    }
}
