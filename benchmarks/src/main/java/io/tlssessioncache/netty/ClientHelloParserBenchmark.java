package io.tlssessioncache.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SNIHostName;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link ClientHelloParser#parse} on a real ClientHello: the first record a JDK client
 * {@code SSLEngine} wraps (SNI, ALPN, key shares, signature algorithms, supported versions),
 * without its 5-byte record header and 4-byte handshake header, which is what the lookup handler
 * hands the parser. Runs once per accepted connection, before any store lookup. (In the parser's
 * package: it is package-private, and the benchmarks jar holds both.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClientHelloParserBenchmark {

    /** Highest protocol the JDK client offers. */
    @Param({"TLSv1.3", "TLSv1.2"})
    public String protocol;

    private ByteBuf body;

    @Setup
    public void setUp() throws Exception {
        byte[] hello = jdkClientHello(protocol);
        body = Unpooled.wrappedBuffer(hello).asReadOnly();
        ClientHelloParser.parse(body.duplicate()); // fail here, not in the measurement, if unparseable
    }

    /** The handshake body of the JDK client's first flight. */
    static byte[] jdkClientHello(String protocol) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine("api.example.com", 443);
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(protocol.equals("TLSv1.3") ? new String[] {"TLSv1.3", "TLSv1.2"} : new String[] {"TLSv1.2"});
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("api.example.com")));
        parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        if (out.get(0) != 22 || out.get(5) != 1) {
            throw new IllegalStateException("the first record is not a ClientHello");
        }
        int length = (out.get(6) & 0xff) << 16 | (out.get(7) & 0xff) << 8 | (out.get(8) & 0xff);
        byte[] body = new byte[length];
        out.position(9);
        out.get(body);
        return body;
    }

    @Benchmark
    public ClientHelloInfo parse() {
        return ClientHelloParser.parse(body.duplicate());
    }
}
