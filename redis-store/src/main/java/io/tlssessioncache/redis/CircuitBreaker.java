package io.tlssessioncache.redis;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/**
 * A small consecutive-failure circuit breaker, so that while Redis is down or hung not every
 * handshake waits the full lookup deadline.
 *
 * <ul>
 *   <li>CLOSED: every call goes through; {@code threshold} consecutive failures open it.</li>
 *   <li>OPEN: {@link #tryAcquire} says no (lookups miss at once, writes are dropped) until the
 *       cool-down has passed; then one call is let through as a probe (HALF_OPEN).</li>
 *   <li>HALF_OPEN: the probe's success closes the breaker, its failure re-opens it. If a probe
 *       never reports (it cannot, as every command is bounded, but cheaply guarded), another
 *       probe is allowed after one more cool-down.</li>
 * </ul>
 * Any success closes it (a late answer from Redis is good news too). Thread-safe: transitions
 * are synchronized (a few field updates), but the common case — closed, and a success with no
 * failures counted — only reads volatile fields, so the lookup path takes no lock.
 */
final class CircuitBreaker {
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final Ticker ticker;
    private final int threshold;
    private final long openNanos;

    private volatile State state = State.CLOSED;
    private volatile int failures;
    private long since; // when OPEN or HALF_OPEN began (ticker nanos)

    CircuitBreaker(Ticker ticker, int threshold, Duration openDuration) {
        this.ticker = ticker;
        this.threshold = threshold;
        this.openNanos = openDuration.toNanos();
    }

    /** Whether a call may go to Redis now. */
    boolean tryAcquire() {
        return state == State.CLOSED || tryAcquireSlow();
    }

    private synchronized boolean tryAcquireSlow() {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
            case HALF_OPEN:
                long now = ticker.read();
                if (now - since >= openNanos) {
                    state = State.HALF_OPEN;
                    since = now;
                    return true;
                }
                return false;
            default:
                throw new AssertionError(state);
        }
    }

    void onSuccess() {
        if (state == State.CLOSED && failures == 0) {
            return;
        }
        synchronized (this) {
            state = State.CLOSED;
            failures = 0;
        }
    }

    synchronized void onFailure() {
        if (state == State.HALF_OPEN || ++failures >= threshold) {
            if (state != State.OPEN) {
                since = ticker.read();
            }
            state = State.OPEN;
        }
    }

    State state() {
        return state;
    }

    @Override
    public synchronized String toString() {
        return "CircuitBreaker[" + state + ", failures=" + failures + "]";
    }
}
