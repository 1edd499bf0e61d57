package io.tlssessioncache.redis;

import com.github.benmanes.caffeine.cache.Ticker;
import io.lettuce.core.SslOptions;
import io.netty.channel.EventLoopGroup;
import io.tlssessioncache.core.NearCacheSessionStore;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionCacheMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a Redis-backed session store ({@link RedisSessionStores#create}). Every setting has a
 * default; {@link #defaults()} is fine for a single process, but a fleet must share a
 * {@link Builder#keyRing key ring}, or no server can open another's sessions.
 */
public final class RedisStoreOptions {
    /** Default {@link Builder#keyPrefix}. */
    public static final String DEFAULT_KEY_PREFIX = "tls-session";
    /** Default {@link Builder#lookupDeadline}. */
    public static final Duration DEFAULT_LOOKUP_DEADLINE = Duration.ofMillis(50);
    /** Default {@link Builder#missRetryDelay}: off (one command per miss). */
    public static final Duration DEFAULT_MISS_RETRY_DELAY = Duration.ZERO;
    /** Default {@link Builder#commandTimeout}. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(1);
    /** Default {@link Builder#breakerFailureThreshold}. */
    public static final int DEFAULT_BREAKER_FAILURE_THRESHOLD = 5;
    /** Default {@link Builder#breakerOpenDuration}. */
    public static final Duration DEFAULT_BREAKER_OPEN_DURATION = Duration.ofSeconds(1);
    /** Default {@link Builder#requestQueueSize}. */
    public static final int DEFAULT_REQUEST_QUEUE_SIZE = 10_000;
    /** Default {@link Builder#maxReconnectDelay}. */
    public static final Duration DEFAULT_MAX_RECONNECT_DELAY = Duration.ofSeconds(1);

    private final String keyPrefix;
    private final SealingKeyRing keyRing;
    private final Duration lookupDeadline;
    private final Duration missRetryDelay;
    private final Duration commandTimeout;
    private final long nearCacheMaximumSize;
    private final Duration nearCacheLocalLifetime;
    private final SessionCacheMetrics metrics;
    private final int breakerFailureThreshold;
    private final Duration breakerOpenDuration;
    private final int requestQueueSize;
    private final Duration maxReconnectDelay;
    private final Duration connectTimeout;
    private final SslOptions sslOptions;
    private final Clock clock;
    private final Ticker ticker;
    private final EventLoopGroup eventLoopGroup;

    private RedisStoreOptions(Builder b) {
        this.keyPrefix = b.keyPrefix;
        this.keyRing = b.keyRing;
        this.lookupDeadline = b.lookupDeadline;
        this.missRetryDelay = b.missRetryDelay;
        this.commandTimeout = b.commandTimeout;
        this.nearCacheMaximumSize = b.nearCacheMaximumSize;
        this.nearCacheLocalLifetime = b.nearCacheLocalLifetime;
        this.metrics = b.metrics;
        this.breakerFailureThreshold = b.breakerFailureThreshold;
        this.breakerOpenDuration = b.breakerOpenDuration;
        this.requestQueueSize = b.requestQueueSize;
        this.maxReconnectDelay = b.maxReconnectDelay;
        this.connectTimeout = b.connectTimeout;
        this.sslOptions = b.sslOptions;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.eventLoopGroup = b.eventLoopGroup;
    }

    /** All defaults (a freshly generated key ring: sessions resume only within this process). */
    public static RedisStoreOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this object's settings, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.keyPrefix = keyPrefix;
        b.keyRing = keyRing;
        b.lookupDeadline = lookupDeadline;
        b.missRetryDelay = missRetryDelay;
        b.commandTimeout = commandTimeout;
        b.nearCacheMaximumSize = nearCacheMaximumSize;
        b.nearCacheLocalLifetime = nearCacheLocalLifetime;
        b.metrics = metrics;
        b.breakerFailureThreshold = breakerFailureThreshold;
        b.breakerOpenDuration = breakerOpenDuration;
        b.requestQueueSize = requestQueueSize;
        b.maxReconnectDelay = maxReconnectDelay;
        b.connectTimeout = connectTimeout;
        b.sslOptions = sslOptions;
        b.clock = clock;
        b.ticker = ticker;
        b.eventLoopGroup = eventLoopGroup;
        return b;
    }

    public String keyPrefix() {
        return keyPrefix;
    }

    /** The key ring, or {@code null} (then {@link RedisSessionStores} generates one and warns). */
    public SealingKeyRing keyRing() {
        return keyRing;
    }

    public Duration lookupDeadline() {
        return lookupDeadline;
    }

    /** The event loops Lettuce runs on, or {@code null} for its own threads. */
    public EventLoopGroup eventLoopGroup() {
        return eventLoopGroup;
    }

    /** How long after a lookup that found nothing it is asked once more; zero: never. */
    public Duration missRetryDelay() {
        return missRetryDelay;
    }

    /** Lettuce's command timeout: the configured one, but never shorter than the lookup deadline. */
    public Duration commandTimeout() {
        return commandTimeout.compareTo(lookupDeadline) < 0 ? lookupDeadline : commandTimeout;
    }

    public long nearCacheMaximumSize() {
        return nearCacheMaximumSize;
    }

    public Duration nearCacheLocalLifetime() {
        return nearCacheLocalLifetime;
    }

    public SessionCacheMetrics metrics() {
        return metrics;
    }

    public int breakerFailureThreshold() {
        return breakerFailureThreshold;
    }

    public Duration breakerOpenDuration() {
        return breakerOpenDuration;
    }

    public int requestQueueSize() {
        return requestQueueSize;
    }

    public Duration maxReconnectDelay() {
        return maxReconnectDelay;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Lettuce TLS settings for {@code rediss://} URIs, or {@code null} for Lettuce's defaults (the JDK trust store). */
    public SslOptions sslOptions() {
        return sslOptions;
    }

    public Clock clock() {
        return clock;
    }

    public Ticker ticker() {
        return ticker;
    }

    /**
     * Returns {@code prefix} if it is a valid key prefix: 1 to 64 characters of letters, digits,
     * {@code - _ .} (so ACL patterns like {@code ~tls-session:*} can confine a user to it); for every
     * tool that names the store's keys (the admin tools).
     *
     * @throws IllegalArgumentException otherwise
     */
    public static String checkKeyPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("key prefix must be 1 to 64 of [A-Za-z0-9._-]");
        }
        return prefix;
    }

    /** Settings only; the key ring shows its key ids, never key material. */
    @Override
    public String toString() {
        return "RedisStoreOptions[prefix=" + keyPrefix + ", keyRing=" + keyRing + ", lookupDeadline=" + lookupDeadline
                + ", missRetryDelay=" + missRetryDelay + ", commandTimeout=" + commandTimeout
                + ", nearCache=" + nearCacheMaximumSize + "/" + nearCacheLocalLifetime + ", breaker=" + breakerFailureThreshold + "/" + breakerOpenDuration
                + ", requestQueueSize=" + requestQueueSize + "]";
    }

    /** Builds {@link RedisStoreOptions}; every setter validates at once. */
    public static final class Builder {
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private SealingKeyRing keyRing;
        private Duration lookupDeadline = DEFAULT_LOOKUP_DEADLINE;
        private Duration missRetryDelay = DEFAULT_MISS_RETRY_DELAY;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private long nearCacheMaximumSize = NearCacheSessionStore.DEFAULT_MAXIMUM_SIZE;
        private Duration nearCacheLocalLifetime = NearCacheSessionStore.DEFAULT_MAXIMUM_LOCAL_LIFETIME;
        private SessionCacheMetrics metrics = SessionCacheMetrics.noop();
        private int breakerFailureThreshold = DEFAULT_BREAKER_FAILURE_THRESHOLD;
        private Duration breakerOpenDuration = DEFAULT_BREAKER_OPEN_DURATION;
        private int requestQueueSize = DEFAULT_REQUEST_QUEUE_SIZE;
        private Duration maxReconnectDelay = DEFAULT_MAX_RECONNECT_DELAY;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private SslOptions sslOptions;
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.systemTicker();
        private EventLoopGroup eventLoopGroup;

        private Builder() {
        }

        /**
         * First part of every Redis key and of the pub/sub channel (default {@code tls-session}):
         * 1 to 64 characters of letters, digits, {@code - _ .}, so ACL patterns like
         * {@code ~tls-session:*} can confine a user to it.
         */
        public Builder keyPrefix(String prefix) {
            this.keyPrefix = checkKeyPrefix(prefix);
            return this;
        }

        /** The AES-GCM keys that seal entries; every server of a fleet needs the same ring. */
        public Builder keyRing(SealingKeyRing ring) {
            this.keyRing = ring;
            return this;
        }

        /**
         * How long a get/take may wait for Redis before it is a miss (default 50 ms): the one
         * lookup deadline of a server that uses this store. A lookup Redis has not answered by then
         * counts as a failure for the circuit breaker.
         */
        public Builder lookupDeadline(Duration d) {
            this.lookupDeadline = positive(d, "lookupDeadline");
            return this;
        }

        /**
         * A lookup that found nothing asks Redis once more after this delay, if the lookup deadline
         * leaves room (default {@link Duration#ZERO}: never, so a bogus id costs one command). For a
         * server that hands out a session before its write is acknowledged: a client that
         * reconnects at once to another server can then ask before the write has reached Redis
         * (seen 1-6% of immediate cross-server reconnections with asynchronous writes on loaded
         * machines). The cost is on every miss: one more command, and a full handshake that starts
         * this much later. Not sent when the caller cancelled the lookup meanwhile.
         */
        public Builder missRetryDelay(Duration d) {
            Objects.requireNonNull(d, "missRetryDelay");
            if (d.isNegative()) {
                throw new IllegalArgumentException("missRetryDelay must not be negative");
            }
            this.missRetryDelay = d;
            return this;
        }

        /** Lettuce's timeout for every command, writes included (default 1 s; never less than the lookup deadline). */
        public Builder commandTimeout(Duration d) {
            this.commandTimeout = positive(d, "commandTimeout");
            return this;
        }

        /** Most entries in each server's near-cache (default 10,000). */
        public Builder nearCacheMaximumSize(long n) {
            if (n < 0) {
                throw new IllegalArgumentException("nearCacheMaximumSize must not be negative");
            }
            this.nearCacheMaximumSize = n;
            return this;
        }

        /** Longest a near-cache copy lives (default 5 min): bounds staleness if an invalidation is lost. */
        public Builder nearCacheLocalLifetime(Duration d) {
            this.nearCacheLocalLifetime = positive(d, "nearCacheLocalLifetime");
            return this;
        }

        public Builder metrics(SessionCacheMetrics m) {
            this.metrics = Objects.requireNonNull(m, "metrics");
            return this;
        }

        /** Consecutive failures or timeouts that open the circuit breaker (default 5). */
        public Builder breakerFailureThreshold(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("breakerFailureThreshold must be at least 1");
            }
            this.breakerFailureThreshold = n;
            return this;
        }

        /** How long an open breaker answers "miss" at once before letting one probe through (default 1 s). */
        public Builder breakerOpenDuration(Duration d) {
            this.breakerOpenDuration = positive(d, "breakerOpenDuration");
            return this;
        }

        /** Most commands Lettuce queues per connection (default 10,000); beyond, commands fail at once. */
        public Builder requestQueueSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("requestQueueSize must be at least 1");
            }
            this.requestQueueSize = n;
            return this;
        }

        /** Upper bound of Lettuce's exponential reconnect back-off (default 1 s). */
        public Builder maxReconnectDelay(Duration d) {
            this.maxReconnectDelay = positive(d, "maxReconnectDelay");
            return this;
        }

        /** TCP connect timeout (default 2 s). */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        /**
         * TLS settings for {@code rediss://} URIs: e.g. {@code SslOptions.builder().trustManager(caPemFile)}
         * for a private CA, {@code .keyManager(certChain, key, null)} for client certificates. Default:
         * Lettuce's (the JDK's default trust store, host name verification on).
         */
        public Builder sslOptions(SslOptions options) {
            this.sslOptions = options;
            return this;
        }

        /** Wall clock for record expiry (TTL computation). */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** Monotonic time for the near-cache and the circuit breaker. */
        public Builder ticker(Ticker t) {
            this.ticker = Objects.requireNonNull(t, "ticker");
            return this;
        }

        /**
         * Runs Lettuce's connections on these event loops (typically the server's own child group,
         * Netty NIO) instead of Lettuce's own threads (default {@code null}: Lettuce's). A lookup or
         * write issued on the event loop that holds the Redis connection is then written and
         * answered on that thread, without two thread hand-offs (measured: a store lookup issued
         * from a server event loop, p50 ~75 µs alone, ~40 µs shared, on this machine). The group is
         * only borrowed: the store never shuts it down, so close the store before the group.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.eventLoopGroup = group;
            return this;
        }

        public RedisStoreOptions build() {
            return new RedisStoreOptions(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }
}
