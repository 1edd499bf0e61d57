package io.tlssessioncache.core;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A settable time source for tests: a Caffeine {@link Ticker} and a {@link Clock} that move
 * together, only when told ({@link #advance}). No test needs to sleep.
 */
public final class FakeTime implements Ticker {
    /** Where every FakeTime starts unless told otherwise. */
    public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    private final Instant start;
    private final AtomicLong nanos = new AtomicLong();

    public FakeTime() {
        this(DEFAULT_START);
    }

    public FakeTime(Instant start) {
        this.start = start;
    }

    /** Moves both the ticker and the clock forward. */
    public FakeTime advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("time only moves forward");
        }
        nanos.addAndGet(d.toNanos());
        return this;
    }

    /** The current wall-clock instant. */
    public Instant now() {
        return start.plusNanos(nanos.get());
    }

    /** Caffeine ticker reading: nanoseconds since this FakeTime was made. */
    @Override
    public long read() {
        return nanos.get();
    }

    /** A UTC clock showing {@link #now()}. */
    public Clock clock() {
        return new FakeClock(ZoneOffset.UTC);
    }

    private final class FakeClock extends Clock {
        private final ZoneId zone;

        FakeClock(ZoneId zone) {
            this.zone = zone;
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId z) {
            return new FakeClock(z);
        }

        @Override
        public Instant instant() {
            return now();
        }
    }

    @Override
    public String toString() {
        return "FakeTime[" + now() + "]";
    }
}
