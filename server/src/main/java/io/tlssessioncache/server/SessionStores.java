package io.tlssessioncache.server;

import io.tlssessioncache.core.InMemorySessionStore;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;
import io.tlssessioncache.redis.RedisSessionStores;
import io.tlssessioncache.redis.RedisStoreOptions;

/**
 * Opens the store a {@link StoreSpec} names: one {@code case} per kind of store.
 */
final class SessionStores {

    /** Where the sealing key ring is read from when {@code --sealing-key-file} is not given. */
    static final String SEALING_KEYS_ENV = "TLS_SESSION_CACHE_SEALING_KEYS";

    private SessionStores() {
    }

    /**
     * Opens the store; the caller closes it.
     *
     * @throws StoreOptionException  when the options do not fit the store (a usage error)
     * @throws IllegalStateException when the store cannot be reached now
     */
    static SessionStore open(StoreSpec spec, ServerSettings settings, SessionCacheMetrics metrics) {
        return switch (spec) {
            case StoreSpec.Memory memory -> {
                if (settings.keyPrefix().isPresent() || settings.sealingKeyFile().isPresent()
                        || settings.missRetryDelay().isPresent()) {
                    throw new StoreOptionException(
                            "--key-prefix, --sealing-key-file and --miss-retry-delay are only used with a Redis --store");
                }
                yield InMemorySessionStore.builder().maximumSize(settings.maxSessions()).metrics(metrics).build();
            }
            case StoreSpec.Redis redis -> RedisSessionStores.create(redis.uri(), redisOptions(settings, metrics));
        };
    }

    private static RedisStoreOptions redisOptions(ServerSettings settings, SessionCacheMetrics metrics) {
        try {
            RedisStoreOptions.Builder options = RedisStoreOptions.builder()
                    // The lookup deadline is the store's: it fails a lookup open at the deadline (and
                    // tells its circuit breaker), so the engine needs none of its own. The command
                    // timeout follows it by itself (RedisStoreOptions.commandTimeout: never below it).
                    .lookupDeadline(settings.lookupDeadline())
                    .nearCacheMaximumSize(settings.maxSessions())
                    .metrics(metrics);
            settings.keyPrefix().ifPresent(options::keyPrefix);
            settings.missRetryDelay().ifPresent(options::missRetryDelay);
            if (settings.sealingKeyFile().isPresent()) {
                options.keyRing(SealingKeyRing.fromFile(settings.sealingKeyFile().get()));
            } else if (System.getenv(SEALING_KEYS_ENV) != null) {
                options.keyRing(SealingKeyRing.fromEnvironment(SEALING_KEYS_ENV));
            }
            // Neither: the Redis store generates a key ring for this process and warns.
            return options.build();
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            // Key ring messages name the line, the file's mode or the problem, never a key.
            throw new StoreOptionException(e.getMessage());
        }
    }

    /** The store options are wrong: the user's mistake, reported as such. */
    static final class StoreOptionException extends IllegalArgumentException {
        StoreOptionException(String message) {
            super(message);
        }
    }
}
