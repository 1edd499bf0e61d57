package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class FakeTimeTest {
    @Test
    void tickerAndClockMoveTogether() {
        FakeTime t = new FakeTime();
        assertEquals(FakeTime.DEFAULT_START, t.clock().instant());
        assertEquals(0, t.read());
        t.advance(Duration.ofMillis(1500));
        assertEquals(1_500_000_000L, t.read());
        assertEquals(FakeTime.DEFAULT_START.plusMillis(1500), t.clock().instant());
        assertEquals(t.now(), t.clock().withZone(ZoneOffset.ofHours(2)).instant());
        assertThrows(IllegalArgumentException.class, () -> t.advance(Duration.ofSeconds(-1)));
    }
}
