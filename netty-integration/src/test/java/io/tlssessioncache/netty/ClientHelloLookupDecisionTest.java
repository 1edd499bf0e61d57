package io.tlssessioncache.netty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.tlssessioncache.core.MicrometerSessionCacheMetrics;
import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.tlssessioncache.netty.ClientHelloBytes.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which lookup the handler makes for which ClientHello, on an {@link EmbeddedChannel} (the real
 * OpenSSL context behind it; what OpenSSL then answers to these hand-made hellos is not the point).
 */
@Timeout(60)
class ClientHelloLookupDecisionTest {
    @TempDir
    static Path dir;
    static ResumingSslContext context;
    static ResumingSslContext only12;
    static MapSessionStore store = new MapSessionStore();

    @BeforeAll
    static void setUp() throws Exception {
        Path[] cert = OpenSslCli.selfSigned(dir, "a.test");
        context = ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store).contextName("decide").build();
        only12 = ResumingSslContextBuilder.forServer(cert[0], cert[1]).sessionStore(store).contextName("decide")
                .protocols("TLSv1.2").build();
    }

    @AfterAll
    static void tearDown() {
        context.close();
        only12.close();
    }

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    final List<SniCompletionEvent> events = new ArrayList<>();

    /** Runs one ClientHello through a fresh channel; returns the channel for inspection. */
    EmbeddedChannel offer(ResumingSslContext ctx, byte[] body) {
        store.gets.clear();
        store.takes.clear();
        events.clear();
        EmbeddedChannel ch = new EmbeddedChannel(
                new ClientHelloLookupHandler(ctx, MicrometerSessionCacheMetrics.create(registry), Duration.ofSeconds(10)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                        // OpenSSL refusing a hand-made hello after the hand-over: not under test here
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                        if (evt instanceof SniCompletionEvent e) {
                            events.add(e);
                        }
                    }
                });
        ch.writeInbound(Unpooled.wrappedBuffer(ClientHelloBytes.record(body)));
        ch.runPendingTasks();
        return ch;
    }

    double count(String name, String tag, String value) {
        Counter c = registry.find("tls.session.cache." + name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    /** Whether the handler replaced itself with the SslHandler (it says so with an SniCompletionEvent). */
    boolean handedOver() {
        return events.size() == 1 && events.getFirst().isSuccess();
    }

    static void finish(EmbeddedChannel ch) {
        ch.finishAndReleaseAll();
    }

    @Test
    void ticketIsTakenOnlyWithTls13AndPskModes() {
        byte[] id = filled(32, 1);
        EmbeddedChannel ch = offer(context, ClientHelloBytes.tls13().psk(id).body());
        assertEquals(1, store.takes.size());
        assertEquals(new SessionKey(context.namespace(), TlsProtocol.TLS_1_3, SessionId.of(id)), store.takes.getFirst());
        assertTrue(handedOver(), "handed over to the SslHandler");
        finish(ch);

        // no psk_key_exchange_modes: the server must not resume by PSK (RFC 8446 4.2.9), so no take
        ch = offer(context, new ClientHelloBytes().supportedVersions(0x0304).psk(id).body());
        assertTrue(store.takes.isEmpty());
        finish(ch);

        // TLS 1.3 not offered: a PSK identity means nothing
        ch = offer(context, new ClientHelloBytes().supportedVersions(0x0303).pskModes(1).psk(id).body());
        assertTrue(store.takes.isEmpty());
        finish(ch);

        // a context without TLS 1.3: taking would burn the ticket for nothing
        ch = offer(only12, ClientHelloBytes.tls13().psk(id).body());
        assertTrue(store.takes.isEmpty());
        finish(ch);
    }

    @Test
    void onlyTheFirst32ByteIdentityIsTaken() {
        EmbeddedChannel ch = offer(context, ClientHelloBytes.tls13().psk(filled(16, 9), filled(32, 2), filled(32, 3)).body());
        assertEquals(1, store.takes.size());
        assertEquals(SessionId.of(filled(32, 2)), store.takes.getFirst().id());
        assertTrue(store.gets.isEmpty());
        finish(ch);
    }

    @Test
    void legacySessionIdIsReadOnlyWhenTls12WillBeNegotiated() {
        byte[] id = filled(32, 4);
        EmbeddedChannel ch = offer(context, new ClientHelloBytes().sessionId(id).body()); // TLS 1.2 client
        assertEquals(1, store.gets.size());
        assertEquals(SessionId.of(id), store.gets.getFirst().id());
        finish(ch);

        ch = offer(context, ClientHelloBytes.tls13().sessionId(id).body()); // TLS 1.3 client: compat id
        assertTrue(store.gets.isEmpty());
        finish(ch);

        ch = offer(only12, ClientHelloBytes.tls13().sessionId(id).body()); // ... to a TLS 1.2-only server
        assertEquals(1, store.gets.size());
        finish(ch);

        ch = offer(context, new ClientHelloBytes().sessionId(filled(16, 4)).body()); // not one of our ids
        assertTrue(store.gets.isEmpty());
        finish(ch);
    }

    @Test
    void aRecordForAnotherKeyOrProtocolIsNeverOffered() {
        Instant now = Instant.now();
        byte[] id = filled(32, 5);
        SessionRecord otherKey = new SessionRecord(new SessionKey(context.namespace(), TlsProtocol.TLS_1_3,
                SessionId.of(filled(32, 6))), null, null, now, now.plusSeconds(60), new byte[] {1});
        SessionRecord otherProtocol = new SessionRecord(new SessionKey(context.namespace(), TlsProtocol.TLS_1_2,
                SessionId.of(id)), null, null, now, now.plusSeconds(60), new byte[] {1});
        try {
            store.forced = otherKey;
            finish(offer(context, ClientHelloBytes.tls13().psk(id).body()));
            store.forced = otherProtocol;
            finish(offer(context, ClientHelloBytes.tls13().psk(id).body()));
        } finally {
            store.forced = null;
        }
        assertEquals(2.0, count("rejected", "reason", "wrong-key"));
    }

    @Test
    void aStoreThatThrowsIsCountedAndGivesAFullHandshake() {
        store.mode = MapSessionStore.Mode.THROW;
        try {
            EmbeddedChannel ch = offer(context, ClientHelloBytes.tls13().psk(filled(32, 7)).body());
            assertTrue(handedOver(), "full handshake, not a closed connection");
            finish(ch);
        } finally {
            store.mode = MapSessionStore.Mode.NORMAL;
        }
        assertEquals(1.0, count("store.errors", "operation", "take"));
    }

    @Test
    void malformedHelloClosesTheChannelAndIsCounted() {
        EmbeddedChannel ch = offer(context, ClientHelloBytes.tls13().psk(filled(32, 1)).sni("a.test").body());
        assertFalse(ch.isOpen());
        assertNull(ch.pipeline().get(SslHandler.class));
        assertFalse(events.getFirst().isSuccess());
        assertTrue(store.takes.isEmpty(), "nothing is looked up for a malformed hello");
        assertEquals(1.0, count("rejected", "reason", "malformed-hello"));
        finish(ch);
    }
}
