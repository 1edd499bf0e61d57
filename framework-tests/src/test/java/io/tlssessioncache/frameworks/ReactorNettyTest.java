package io.tlssessioncache.frameworks;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.netty.ResumingSslContext;
import io.tlssessioncache.redis.RedisServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reactor Netty's HTTP server (what Spring WebFlux runs on), given the context the Reactor way
 * ({@code .secure(spec -> spec.sslContext(ctx))}): Reactor calls {@code ctx.newHandler(alloc)}, so
 * the engine's tasks run when the store answers. Requests are served; sessions resume.
 */
@Timeout(120)
class ReactorNettyTest {
    @RegisterExtension
    static final RedisServers REDIS = RedisServers.standalone();

    @TempDir
    Path dir;

    static final String REQUEST = "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    static DisposableServer start(ResumingSslContext ctx) {
        return HttpServer.create().host("127.0.0.1").port(0)
                .secure(spec -> spec.sslContext(ctx))
                .route(routes -> routes.get("/hello", (req, res) -> res.sendString(Mono.just("hello from reactor"))))
                .bindNow();
    }

    @Test
    void servesRequestsAndResumesAcrossServers() throws Exception {
        try (Fixtures.Fleet fleet = Fixtures.fleet(dir, REDIS, ApplicationProtocolConfig.DISABLED)) {
            DisposableServer serverA = start(fleet.a());
            DisposableServer serverB = start(fleet.b());
            try {
                Fixtures.assertResumesOnBothServers(dir, serverA.port(), serverB.port(), REQUEST, "hello from reactor");
            } finally {
                serverA.disposeNow();
                serverB.disposeNow();
            }
            assertEquals(0.0, fleet.count("not.awaited"));
        }
    }
}
