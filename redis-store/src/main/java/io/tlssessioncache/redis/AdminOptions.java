package io.tlssessioncache.redis;

import io.tlssessioncache.core.SealingKeyRing;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link SessionAdmin} connects and reads entries. Timeouts are short on purpose: an operator
 * wants "unreachable" within seconds, not a hang.
 */
public final class AdminOptions {
    /** Same default as the store's. */
    public static final String DEFAULT_KEY_PREFIX = RedisStoreOptions.DEFAULT_KEY_PREFIX;

    private final String keyPrefix;
    private final SealingKeyRing keyRing;
    private final Duration connectTimeout;
    private final Duration commandTimeout;
    private final Clock clock;

    private AdminOptions(Builder b) {
        this.keyPrefix = b.keyPrefix;
        this.keyRing = b.keyRing;
        this.connectTimeout = b.connectTimeout;
        this.commandTimeout = b.commandTimeout;
        this.clock = b.clock;
    }

    public static AdminOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String keyPrefix() {
        return keyPrefix;
    }

    /** The key ring that opens entries; without it only key names (and {@code --all}) are usable. */
    public Optional<SealingKeyRing> keyRing() {
        return Optional.ofNullable(keyRing);
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration commandTimeout() {
        return commandTimeout;
    }

    public Clock clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "AdminOptions[prefix=" + keyPrefix + ", keyRing=" + keyRing + ", connectTimeout=" + connectTimeout
                + ", commandTimeout=" + commandTimeout + "]";
    }

    public static final class Builder {
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private SealingKeyRing keyRing;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration commandTimeout = Duration.ofSeconds(3);
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** 1 to 64 of {@code [A-Za-z0-9._-]}: {@link RedisStoreOptions#checkKeyPrefix}, as the store accepts. */
        public Builder keyPrefix(String prefix) {
            this.keyPrefix = RedisStoreOptions.checkKeyPrefix(prefix);
            return this;
        }

        public Builder keyRing(SealingKeyRing ring) {
            this.keyRing = ring;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        public Builder commandTimeout(Duration d) {
            this.commandTimeout = positive(d, "commandTimeout");
            return this;
        }

        /** Wall clock for watermarks ({@code --older-than}) and audit lines. */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        public AdminOptions build() {
            return new AdminOptions(this);
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
