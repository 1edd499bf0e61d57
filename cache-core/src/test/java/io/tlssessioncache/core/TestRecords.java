package io.tlssessioncache.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/** Sample {@link SessionRecord}s for tests: {@code TestRecords.builder().serverName("a").build()}. */
public final class TestRecords {
    /** The namespace sample records use unless told otherwise. */
    public static final String NAMESPACE = "test-ns";

    private TestRecords() {
    }

    /** A TLS 1.3 record created at {@link FakeTime#DEFAULT_START}, living one hour, 150 bytes of state. */
    public static SessionRecord sample() {
        return builder().build();
    }

    /** A record created at {@code time.now()}, living {@code lifetime}. */
    public static SessionRecord createdNow(FakeTime time, Duration lifetime) {
        return builder().createdAt(time.now()).lifetime(lifetime).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Deterministic pseudo-random bytes (state that looks like a real session's size). */
    public static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A fluent builder with sensible defaults for every field. */
    public static final class Builder {
        private String namespace = NAMESPACE;
        private SessionId id = SessionId.random();
        private TlsProtocol protocol = TlsProtocol.TLS_1_3;
        private String serverName = "example.test";
        private byte[] clientIdentity;
        private Instant createdAt = FakeTime.DEFAULT_START;
        private Duration lifetime = Duration.ofHours(1);
        private byte[] state = bytes(150, 42);

        public Builder namespace(String v) {
            namespace = v;
            return this;
        }

        public Builder id(SessionId v) {
            id = v;
            return this;
        }

        public Builder key(SessionKey k) {
            namespace = k.namespace();
            protocol = k.protocol();
            id = k.id();
            return this;
        }

        public Builder protocol(TlsProtocol v) {
            protocol = v;
            return this;
        }

        public Builder serverName(String v) {
            serverName = v;
            return this;
        }

        public Builder clientIdentity(byte[] v) {
            clientIdentity = v;
            return this;
        }

        public Builder createdAt(Instant v) {
            createdAt = v;
            return this;
        }

        public Builder lifetime(Duration v) {
            lifetime = v;
            return this;
        }

        public Builder state(byte[] v) {
            state = v;
            return this;
        }

        public Builder stateLength(int n) {
            state = bytes(n, n);
            return this;
        }

        public SessionRecord build() {
            return new SessionRecord(new SessionKey(namespace, protocol, id), serverName, clientIdentity, createdAt,
                    createdAt.plus(lifetime), state);
        }
    }
}
