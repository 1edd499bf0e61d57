package io.tlssessioncache.core;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Micrometer is an optional dependency: everything but {@link MicrometerSessionCacheMetrics} must
 * load and work without it. The smoke test runs in a class loader that has only cache-core,
 * Caffeine and SLF4J.
 */
class WithoutMicrometerTest {

    /** Runs inside the isolated loader: touches every public class but the Micrometer one. */
    public static final class Smoke implements Runnable {
        @Override
        public void run() {
            RevocationWatermarks marks = new RevocationWatermarks();
            InMemorySessionStore memory = InMemorySessionStore.builder().revocations(marks).build();
            NearCacheSessionStore near = NearCacheSessionStore.builder(memory).revocations(marks).build();
            // Millisecond precision: what the codec keeps.
            Instant now = Instant.ofEpochMilli(System.currentTimeMillis());
            SessionRecord r = new SessionRecord(new SessionKey("ns", TlsProtocol.TLS_1_3, SessionId.random()),
                    "a.test", null, now, now.plus(Duration.ofHours(1)), new byte[150]);
            near.put(r).toCompletableFuture().join();
            if (!near.get(r.key()).toCompletableFuture().join().equals(java.util.Optional.of(r))) {
                throw new AssertionError("near-cache lost the record");
            }
            SealedRecordCodec codec = new SealedRecordCodec(SealingKeyRing.generate());
            if (!codec.decode(r.key(), codec.encode(r)).equals(r)) {
                throw new AssertionError("sealed round trip failed");
            }
            marks.apply(Revocation.decode(Revocation.all(Instant.now().plusSeconds(1)).encode()));
            if (near.take(r.key()).toCompletableFuture().join().isPresent()) {
                throw new AssertionError("revoked record returned");
            }
            SessionCacheMetrics.noop().lookup();
            near.close();
        }
    }

    private static URL location(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation();
    }

    private static URLClassLoader isolated() throws Exception {
        URL mainClasses = location(SessionStore.class);
        URL testClasses = location(Smoke.class);
        return new URLClassLoader(new URL[] {mainClasses, testClasses, location(Caffeine.class),
                location(LoggerFactory.class)}, ClassLoader.getPlatformClassLoader());
    }

    @Test
    void everythingButTheMicrometerAdapterWorksWithoutMicrometer() throws Exception {
        try (URLClassLoader loader = isolated()) {
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("io.micrometer.core.instrument.MeterRegistry", false, loader));
            Runnable smoke = (Runnable) Class.forName(Smoke.class.getName(), true, loader)
                    .getDeclaredConstructor().newInstance();
            smoke.run();
        }
    }

    @Test
    void theLoaderReallyLacksMicrometer() throws Exception {
        // Proof the isolation works: the Micrometer adapter itself cannot link there.
        try (URLClassLoader loader = isolated()) {
            Class<?> adapter = Class.forName(MicrometerSessionCacheMetrics.class.getName(), false, loader);
            assertThrows(NoClassDefFoundError.class, () -> adapter.getDeclaredMethods());
        }
    }
}
