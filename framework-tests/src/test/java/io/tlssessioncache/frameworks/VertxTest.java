package io.tlssessioncache.frameworks;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.redis.RedisServers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Vert.x 5's HTTP server, given the context through its public SPI: an {@link SSLEngineOptions} whose
 * {@link SslContextFactory} returns it. Vert.x calls {@code ctx.newHandler(alloc, ..., executor)} with its
 * worker pool ({@code setUseWorkerThread(true)}) or Netty's {@code ImmediateExecutor} (the default),
 * which the context replaces by its own executor. Both resume.
 */
@Timeout(120)
class VertxTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    @TempDir
    Path dir;

    /** Vert.x's way to plug an SslContext in. */
    static final class ResumingEngineOptions extends SSLEngineOptions {
        private final ResumingSslContext context;

        ResumingEngineOptions(ResumingSslContext context, boolean useWorkerThread) {
            this.context = context;
            setUseWorkerThread(useWorkerThread);
        }

        @Override
        public SSLEngineOptions copy() {
            return new ResumingEngineOptions(context, getUseWorkerThread());
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return () -> context;
        }
    }

    static final String REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    static HttpServer start(Vertx vertx, ResumingSslContext ctx, boolean worker, Path[] cert) throws Exception {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
                // Vert.x insists on key material; the factory above is what makes the context
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert[0].toString()).setKeyPath(cert[1].toString()))
                .setSslEngineOptions(new ResumingEngineOptions(ctx, worker));
        return vertx.createHttpServer(options).requestHandler(req -> req.response().end("hello from vert.x"))
                .listen().await(20, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "useWorkerThread={0}")
    @ValueSource(booleans = {true, false})
    void servesRequestsAndResumesAcrossServers(boolean worker) throws Exception {
        Vertx vertx = Vertx.vertx();
        try (Fixtures.Fleet fleet = Fixtures.fleet(dir, REDIS, ApplicationProtocolConfig.DISABLED)) {
            HttpServer serverA = start(vertx, fleet.a(), worker, fleet.cert());
            HttpServer serverB = start(vertx, fleet.b(), worker, fleet.cert());
            Fixtures.assertResumesOnBothServers(dir, serverA.actualPort(), serverB.actualPort(), REQUEST,
                    "hello from vert.x");
            assertEquals(0.0, fleet.count("not.awaited"));
        } finally {
            vertx.close().await(20, TimeUnit.SECONDS);
        }
    }
}
