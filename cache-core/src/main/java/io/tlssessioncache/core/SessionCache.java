package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one layer in front of every store, as Caffeine's cache is in front of its loader: it owns
 * what callers may rely on, so that the storage behind it ({@link LocalStore}, a remote store such as
 * Redis) only stores. It
 * <ul>
 *   <li>judges every record before it is returned (or stored): another key, expired by the
 *       {@link Clock}, or covered by a {@link RevocationWatermarks} watermark is a miss;</li>
 *   <li>fails open: a lookup the storage fails, refuses or does not answer by the deadline is a miss
 *       (a full handshake), never an exception; a write that fails fails its stage (the caller must
 *       know the record is not there) and is counted;</li>
 *   <li>asks once more, after a delay, when a remote storage found nothing (a session stored on
 *       another server a moment ago), unless the caller gave up;</li>
 *   <li>keeps the optional near tier (local copies in front of a remote storage) coherent: a take
 *       always asks the storage, a fill never undoes an invalidation;</li>
 *   <li>is the only place that reports to {@link SessionCacheMetrics}.</li>
 * </ul>
 *
 * <p><b>Cancellation.</b> The future a lookup returns may be cancelled (the client left): the
 * storage's stage is cancelled in turn and no retry is sent. At the deadline the storage's stage is
 * completed with a {@link java.util.concurrent.TimeoutException}, so a storage can tell "too slow"
 * (which a circuit breaker counts) from "no longer wanted" (which it must not).
 */
final class SessionCache implements SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(SessionCache.class);

    private final SessionStore storage;
    private final NearTier near; // null: the storage is local and authoritative
    private final Clock clock;
    private final Ticker ticker;
    private final RevocationWatermarks revocations;
    private final SessionCacheMetrics metrics;
    private final long deadlineNanos; // 0: none (the storage answers at once, or bounds itself)
    private final long retryNanos; // 0: no retry

    SessionCache(SessionStore storage, NearTier near, Clock clock, Ticker ticker, RevocationWatermarks revocations,
            SessionCacheMetrics metrics, Duration deadline, Duration missRetry) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.near = near;
        this.clock = clock;
        this.ticker = ticker;
        this.revocations = revocations;
        this.metrics = metrics;
        this.deadlineNanos = saturatedNanos(deadline);
        this.retryNanos = saturatedNanos(missRetry);
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    // ------------------------------------------------------------------------------ writes

    @Override
    public CompletionStage<Void> put(SessionRecord record) {
        Objects.requireNonNull(record, "record");
        metrics.put();
        if (rejection(record.key(), record) != null) {
            return CompletableFuture.completedFuture(null); // would only ever be a miss: not worth storing
        }
        if (nearCaches(record.key())) {
            near.put(record); // kept even if the storage fails: this node can still resume it
        }
        return call(record, storage::put).whenComplete((v, e) -> {
            if (e != null) {
                writeFailed("put", e);
            }
        });
    }

    @Override
    public CompletionStage<Boolean> remove(SessionKey key) {
        Objects.requireNonNull(key, "key");
        boolean wasLocal = near != null && near.remove(key);
        return call(key, storage::remove).handle((removed, e) -> {
            if (e != null) {
                writeFailed("remove", e);
                throw e instanceof CompletionException c ? c : new CompletionException(e);
            }
            return Boolean.TRUE.equals(removed) || wasLocal;
        });
    }

    private void writeFailed(String operation, Throwable e) {
        Throwable cause = unwrap(e);
        if (!(cause instanceof RejectedExecutionException)) { // refused without trying: only dropped
            metrics.storeError(operation);
            LOG.debug("session store {} failed: {}", operation, cause.toString());
        }
        metrics.droppedWrite();
    }

    // ------------------------------------------------------------------------------ lookups

    @Override
    public CompletionStage<Optional<SessionRecord>> get(SessionKey key) {
        Objects.requireNonNull(key, "key");
        long start = ticker.read();
        metrics.lookup();
        NearTier.Read read = null;
        if (nearCaches(key)) {
            SessionRecord hit = localHit(key, start);
            if (hit != null) {
                return CompletableFuture.completedFuture(Optional.of(hit));
            }
            read = near.beginRead(key);
        }
        return lookup(key, false, start, read);
    }

    @Override
    public CompletionStage<Optional<SessionRecord>> take(SessionKey key) {
        Objects.requireNonNull(key, "key");
        long start = ticker.read();
        metrics.take();
        metrics.lookup();
        if (nearCaches(key)) {
            // The storage is the authority for single use: a local copy is dropped, never answered.
            near.invalidate(key);
        }
        return lookup(key, true, start, null);
    }

    /**
     * The live local copy of {@code key} without asking the storage, for callers that must answer
     * synchronously; a hit counts as a lookup and a near hit, a miss counts nothing (the caller goes
     * on with {@link #get}, which counts it).
     */
    Optional<SessionRecord> getIfPresent(SessionKey key) {
        Objects.requireNonNull(key, "key");
        if (!nearCaches(key)) {
            return Optional.empty();
        }
        long start = ticker.read();
        SessionRecord local = near.get(key);
        if (local == null || !usable(key, local)) {
            return Optional.empty();
        }
        metrics.lookup();
        nearHit(start);
        return Optional.of(local);
    }

    /** Whether {@code key} may have a local copy ({@link NearCacheSessionStore#keepsLocally}). */
    private boolean nearCaches(SessionKey key) {
        return near != null && NearCacheSessionStore.keepsLocally(key);
    }

    /** The usable local copy of {@code key} (counted as a near hit), or null. */
    private SessionRecord localHit(SessionKey key, long start) {
        SessionRecord local = near.get(key);
        if (local == null || !usable(key, local)) {
            return null;
        }
        nearHit(start);
        return local;
    }

    private boolean usable(SessionKey key, SessionRecord local) {
        String reason = rejection(key, local);
        if (reason != null) {
            metrics.rejected(reason);
            near.drop(key, local);
        }
        return reason == null;
    }

    private void nearHit(long start) {
        metrics.nearHit();
        metrics.lookupLatency(ticker.read() - start);
    }

    private CompletableFuture<Optional<SessionRecord>> lookup(SessionKey key, boolean take, long start,
            NearTier.Read read) {
        CompletableFuture<Optional<SessionRecord>> first = ask(key, take);
        if (first.isDone() && (retryNanos == 0 || !isNil(first))) {
            // Answered at once (the local storage, an open circuit): no deadline, no retry to manage.
            return CompletableFuture.completedFuture(answer(key, take, start, read, first, false));
        }
        return new Lookup(key, take, start, read).await(first, false);
    }

    private CompletableFuture<Optional<SessionRecord>> ask(SessionKey key, boolean take) {
        return call(key, take ? storage::take : storage::get);
    }

    private static boolean isNil(CompletableFuture<Optional<SessionRecord>> done) {
        return !done.isCompletedExceptionally() && done.join().isEmpty();
    }

    /** A lookup still waiting for the storage: owns its deadline, its retry and its cancellation. */
    private final class Lookup {
        private final CompletableFuture<Optional<SessionRecord>> result = new CompletableFuture<>();
        private final SessionKey key;
        private final boolean take;
        private final long start;
        private final NearTier.Read read;
        private volatile CompletableFuture<Optional<SessionRecord>> pending;

        Lookup(SessionKey key, boolean take, long start, NearTier.Read read) {
            this.key = key;
            this.take = take;
            this.start = start;
            this.read = read;
            result.whenComplete((v, e) -> {
                CompletableFuture<Optional<SessionRecord>> p = pending;
                if (result.isCancelled() && p != null) {
                    p.cancel(false); // the client left: the storage sends what it has not sent yet, nothing
                }
            });
        }

        CompletableFuture<Optional<SessionRecord>> await(CompletableFuture<Optional<SessionRecord>> stage,
                boolean retry) {
            pending = stage;
            if (result.isCancelled()) {
                stage.cancel(false); // cancelled while this attempt was being sent
                return result;
            }
            if (deadlineNanos > 0 && !stage.isDone()) {
                long left = deadlineNanos - (ticker.read() - start);
                StoreDeadlines.orTimeout(stage, left); // the storage sees the timeout too
            }
            stage.whenComplete((found, e) -> answered(stage, retry));
            return result;
        }

        private void answered(CompletableFuture<Optional<SessionRecord>> stage, boolean retry) {
            if (result.isDone()) {
                return; // cancelled meanwhile
            }
            if (!retry && retryNanos > 0 && isNil(stage) && roomForRetry()) {
                // Runnable::run: the JDK's delay thread only hands the command to the storage, which never blocks
                CompletableFuture.delayedExecutor(retryNanos, TimeUnit.NANOSECONDS, Runnable::run).execute(() -> {
                    if (!result.isDone()) {
                        await(ask(key, take), true);
                    }
                });
                return;
            }
            result.complete(answer(key, take, start, read, stage, retry));
        }

        // Room for the delay and a second round trip as long as the first one took.
        private boolean roomForRetry() {
            return deadlineNanos == 0 || 2 * (ticker.read() - start) + retryNanos < deadlineNanos;
        }
    }

    /** What the caller gets for the storage's (completed) answer, counted. */
    private Optional<SessionRecord> answer(SessionKey key, boolean take, long start, NearTier.Read read,
            CompletableFuture<Optional<SessionRecord>> stage, boolean retried) {
        Optional<SessionRecord> result = Optional.empty();
        try {
            Optional<SessionRecord> found = stage.join(); // complete: never waits
            if (retried) {
                metrics.lookupRetried(found != null && found.isPresent());
            }
            if (found != null && found.isPresent()) {
                String reason = rejection(key, found.get());
                if (reason == null) {
                    result = found;
                } else {
                    metrics.rejected(reason);
                }
            }
        } catch (CompletionException | CancellationException e) {
            lookupFailed(take ? "take" : "get", key, unwrap(e));
        }
        if (result.isPresent()) {
            metrics.storeHit();
            if (read != null) {
                near.fill(read, result.get());
            }
        } else {
            metrics.miss();
        }
        metrics.lookupLatency(ticker.read() - start);
        return result;
    }

    private void lookupFailed(String operation, SessionKey key, Throwable cause) {
        if (cause instanceof InvalidRecordException bad) {
            // Tampered, truncated, sealed under a key this process lacks, or for another key.
            metrics.rejected("tampered");
            LOG.debug("unusable value under {} ({}): treated as a miss", key.id(), bad.getMessage());
        } else if (!(cause instanceof RejectedExecutionException)) { // refused without trying: just a miss
            metrics.storeError(operation);
            LOG.debug("session store {} failed: {}", operation, cause.toString());
        }
    }

    /** Why {@code r}, found under {@code key}, must not be used now, or {@code null} if it may. */
    private String rejection(SessionKey key, SessionRecord r) {
        if (!r.key().equals(key)) {
            return "wrong-key";
        }
        if (!r.isLiveAt(clock.instant())) {
            return "expired";
        }
        if (revocations.isRevoked(r)) {
            return "revoked";
        }
        return null;
    }

    /** Runs a storage call as a future; a storage that throws instead of failing its stage fails it too. */
    private static <A, T> CompletableFuture<T> call(A argument, Function<A, CompletionStage<T>> operation) {
        try {
            return operation.apply(argument).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    // ------------------------------------------------------------------------------ the rest

    RevocationWatermarks revocations() {
        return revocations;
    }

    SessionStore storage() {
        return storage;
    }

    NearTier near() {
        return near;
    }

    /** Closes the storage, then drops the local copies. */
    @Override
    public void close() {
        try {
            storage.close();
        } finally {
            if (near != null) {
                near.invalidateAll();
            }
        }
    }
}
