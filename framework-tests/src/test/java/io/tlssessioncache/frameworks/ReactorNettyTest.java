package io.tlssessioncache.frameworks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.core.SessionStore;
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

import static io.tlssessioncache.frameworks.Fixtures.resumption;
import static io.tlssessioncache.frameworks.Fixtures.sClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reactor Netty's HTTP server (what Spring WebFlux runs on), given the context the Reactor way
 * ({@code .secure(spec -> spec.sslContext(ctx))}): Reactor calls {@code ctx.newHandler(alloc)}, so
 * the engine's tasks run on the context's virtual threads. Requests are served; sessions resume.
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
        Path[] cert = Fixtures.certificate(dir);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SessionStore store = Fixtures.redisStore(REDIS, registry);
             ResumingSslContext a = Fixtures.context(cert, store, registry, ApplicationProtocolConfig.DISABLED);
             ResumingSslContext b = Fixtures.context(cert, store, registry, ApplicationProtocolConfig.DISABLED)) {
            DisposableServer serverA = start(a);
            DisposableServer serverB = start(b);
            try {
                for (String version : new String[] {"-tls1_3", "-tls1_2"}) {
                    Path sess = dir.resolve("reactor" + version);
                    String first = sClient(serverA.port(), REQUEST, version, "-sess_out", sess.toString());
                    assertEquals("New", resumption(first), first);
                    assertTrue(first.contains("hello from reactor"), first);
                    String same = sClient(serverA.port(), REQUEST, version, "-sess_in", sess.toString(), "-sess_out", sess.toString());
                    assertEquals("Reused", resumption(same), version + " on the same server:\n" + same);
                    assertTrue(same.contains("hello from reactor"), same);
                    String other = sClient(serverB.port(), REQUEST, version, "-sess_in", sess.toString());
                    assertEquals("Reused", resumption(other), version + " on the other server:\n" + other);
                    assertTrue(other.contains("hello from reactor"), other);
                }
            } finally {
                serverA.disposeNow();
                serverB.disposeNow();
            }
            assertEquals(0.0, Fixtures.count(registry, "not.awaited"));
        }
    }
}
