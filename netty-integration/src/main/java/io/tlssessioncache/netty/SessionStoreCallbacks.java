package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import io.tlssessioncache.core.SessionRecord;
import io.tlssessioncache.core.TlsProtocol;
import io.tlssessioncache.netty.internal.NewSession;
import io.tlssessioncache.netty.internal.SslCallbacks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

import javax.net.ssl.SSLEngine;

/**
 * The engine's bridge between OpenSSL and the session store: OpenSSL's questions about sessions,
 * asked on the engine's thread inside {@code SSL_do_handshake}, never waiting on anything.
 *
 * <ul>
 *   <li>{@link #lookupSession}: OpenSSL wants to resume an id. The answer is only ever the record the
 *       connection's {@link SessionLookup} found, for this id and namespace, and still live.</li>
 *   <li>{@link #sessionCreated}: OpenSSL made a session resumable (a TLS 1.3 ticket or a TLS 1.2
 *       session id): it is written to the store, and the engine holds back what it would send the
 *       client next until {@link #unacknowledgedPuts} are acknowledged, so that a client can never
 *       present an id the store does not have yet.</li>
 *   <li>{@link #selectApplicationProtocol}: ALPN, by a selector set through the JDK API or the
 *       context's configuration.</li>
 * </ul>
 * Confined to the engine (its lock); the put stages complete on the store's threads.
 */
final class SessionStoreCallbacks implements SslCallbacks {
    private static final Logger log = LoggerFactory.getLogger(SessionStoreCallbacks.class);

    private final ResumingSslContext context;
    private final SSLEngine engine;
    private ServerCertificate certificate;
    private SessionRecord offered;
    private List<CompletableFuture<Void>> puts;
    private BiFunction<SSLEngine, List<String>, String> alpnSelector;

    SessionStoreCallbacks(ResumingSslContext context, SSLEngine engine, ServerCertificate certificate) {
        this.context = context;
        this.engine = engine;
        this.certificate = certificate;
    }

    /** The certificate (namespace) the ClientHello chose. */
    void useCertificate(ServerCertificate certificate) {
        this.certificate = certificate;
    }

    ServerCertificate certificate() {
        return certificate;
    }

    /** The record the lookup found for this connection; one per connection, ignored once the handshake is done. */
    void offer(SessionRecord record) {
        if (record != null && certificate.namespace().equals(record.namespace())) {
            offered = record;
        }
    }

    /** After the handshake: the record is needed no more. */
    void handshakeDone() {
        offered = null;
    }

    void alpnSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        this.alpnSelector = selector;
    }

    BiFunction<SSLEngine, List<String>, String> alpnSelector() {
        return alpnSelector;
    }

    /** The writes of new sessions made so far that the store has not acknowledged; empty when none. */
    List<CompletableFuture<Void>> unacknowledgedPuts() {
        if (puts == null) {
            return List.of();
        }
        puts.removeIf(CompletableFuture::isDone);
        return puts.isEmpty() ? List.of() : List.copyOf(puts);
    }

    @Override
    public byte[] lookupSession(byte[] id) {
        SessionRecord r = offered;
        if (r == null || id.length != SessionId.LENGTH || !r.id().equals(SessionId.of(id))) {
            return null;
        }
        if (!r.isLiveAt(context.clock().instant())) {
            context.metrics().rejected("expired");
            return null;
        }
        return r.state();
    }

    @Override
    public void sessionUndecodable() {
        context.metrics().rejected("malformed");
    }

    @Override
    public void sessionCreated(NewSession s) {
        byte[] state = s.state();
        try {
            if (s.id().length != SessionId.LENGTH || s.cipherSuite() == null) {
                return;
            }
            Instant created = Instant.ofEpochSecond(s.timeSeconds());
            SessionRecord record = new SessionRecord(new SessionKey(certificate.namespace(),
                    TlsProtocol.ofCode(s.protocolVersion()), SessionId.of(s.id())), s.serverName(),
                    s.peerCertificate() == null ? null : sha256(s.peerCertificate()),
                    created, created.plus(context.sessionLifetime()), state);
            CompletionStage<Void> put = context.sessionStore().put(record);
            CompletableFuture<Void> f = put.toCompletableFuture();
            if (!f.isDone()) {
                if (puts == null) {
                    puts = new ArrayList<>(2);
                }
                puts.add(f);
            }
            f.whenComplete((v, e) -> {
                if (e != null) {
                    log.debug("storing a session failed: {}", e.getClass().getName());
                }
            });
        } catch (RuntimeException e) {
            log.debug("storing a session failed: {}", e.getClass().getName());
        } finally {
            Arrays.fill(state, (byte) 0); // the record holds its own copy
        }
    }

    @Override
    public String selectApplicationProtocol(List<String> offeredProtocols) {
        BiFunction<SSLEngine, List<String>, String> selector = alpnSelector;
        if (selector == null) {
            return context.selectApplicationProtocol(offeredProtocols);
        }
        // The JDK contract: null fails the handshake, "" proceeds without ALPN.
        String chosen = selector.apply(engine, List.copyOf(offeredProtocols));
        if (chosen == null) {
            throw new IllegalStateException("no common application protocol");
        }
        return chosen.isEmpty() ? null : chosen;
    }

    private static byte[] sha256(byte[] der) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(der);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
