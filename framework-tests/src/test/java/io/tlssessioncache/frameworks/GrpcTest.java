package io.tlssessioncache.frameworks;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.redis.RedisServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * gRPC-Java's own Netty server, given the context the gRPC way ({@code NettyServerBuilder.sslContext}):
 * gRPC builds its own {@code SslHandler} around {@code ctx.newEngine(alloc)}, runs the engine's tasks
 * on its executor, and requires ALPN h2. A real unary call succeeds; sessions resume on the same
 * server and on a second one sharing the store.
 */
@Timeout(120)
class GrpcTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    @TempDir
    Path dir;

    /** A hand-written service (no protoc): strings on the wire. */
    static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };
    static final MethodDescriptor<String, String> GREET = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Greeter/Greet")
            .setRequestMarshaller(UTF8).setResponseMarshaller(UTF8).build();

    static Server start(ResumingSslContext ctx) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Greeter")
                .addMethod(GREET, ServerCalls.asyncUnaryCall((String name, io.grpc.stub.StreamObserver<String> out) -> {
                    out.onNext("hello " + name);
                    out.onCompleted();
                })).build();
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).sslContext(ctx)
                .addService(service).build().start();
    }

    @Test
    void unaryCallWorksAndSessionsResumeAcrossServers() throws Exception {
        try (Fixtures.Fleet fleet = Fixtures.fleet(dir, REDIS, Fixtures.H2_AND_HTTP11)) {
            Server serverA = start(fleet.a());
            Server serverB = start(fleet.b());
            try {
                // a real gRPC client and call: ALPN h2 negotiated through the plain SslHandler gRPC built
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", serverA.getPort()).overrideAuthority("localhost")
                        .sslContext(GrpcSslContexts.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build())
                        .build();
                try {
                    assertEquals("hello grpc", ClientCalls.blockingUnaryCall(channel, GREET, CallOptions.DEFAULT
                            .withDeadlineAfter(20, TimeUnit.SECONDS), "grpc"));
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                // s_client speaks no HTTP/2: gRPC closes after the bad preface, by then the ticket has arrived
                Fixtures.assertResumesOnBothServers(dir, serverA.getPort(), serverB.getPort(), "not http/2\n",
                        "ALPN protocol: h2", "-alpn", "h2");
            } finally {
                serverA.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                serverB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertEquals(0.0, fleet.count("not.awaited"), "gRPC's executor waits for the store");
        }
    }
}
