package io.tlssessioncache.benchmarks;

import io.tlssessioncache.core.SealedRecordCodec;
import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.SessionRecordCodec;
import io.tlssessioncache.core.TlsProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost a remote (Redis) store adds per record on top of the network: encode + AES-256-GCM seal
 * on a new session, open + decode on a lookup. {@code stateBytes} 150 is an OpenSSL TLS 1.3
 * session without a client certificate; 1500 roughly one with a client certificate chain.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SealedCodecBenchmark {

    @Param({"150", "1500"})
    public int stateBytes;

    private SealedRecordCodec codec;
    private SessionRecord record;
    private SessionKey key;
    private byte[] sealed;
    private byte[] encoded;

    @Setup
    public void setup() {
        codec = new SealedRecordCodec(SealingKeyRing.generate());
        byte[] state = new byte[stateBytes];
        new Random(1).nextBytes(state);
        byte[] client = new byte[32];
        new Random(2).nextBytes(client);
        Instant now = Instant.now();
        key = new SessionKey("bench-namespace", TlsProtocol.TLS_1_3, SessionId.random());
        record = new SessionRecord(key, "api.example.com", stateBytes > 1000 ? client : null, now,
                now.plus(Duration.ofHours(2)), state);
        sealed = codec.encode(record);
        encoded = SessionRecordCodec.encode(record);
    }

    @Benchmark
    public byte[] encodeAndSeal() {
        return codec.encode(record);
    }

    @Benchmark
    public SessionRecord openAndDecode() {
        return codec.decode(key, sealed);
    }

    /** The codec alone, to separate its share from the AES-GCM share. */
    @Benchmark
    public byte[] encodeOnly() {
        return SessionRecordCodec.encode(record);
    }

    @Benchmark
    public SessionRecord decodeOnly() {
        return SessionRecordCodec.decode(key, encoded);
    }
}
