package io.tlssessioncache.netty.internal;

import java.util.List;

/**
 * What an SSL object asks its owner while OpenSSL runs a handshake. Every method is called on the
 * thread that drives the handshake, inside the native call; none may block. An exception thrown
 * here never reaches OpenSSL: the binding catches it and answers "no".
 */
public interface SslCallbacks {

    /** OpenSSL's get callback: the serialized session for this id, or {@code null} (full handshake). */
    byte[] lookupSession(byte[] sessionId);

    /** The bytes {@link #lookupSession} returned did not decode ({@code d2i_SSL_SESSION} failed): a full handshake follows. */
    void sessionUndecodable();

    /** OpenSSL's new-session callback: a resumable session (a TLS 1.3 ticket or a TLS 1.2 session id). */
    void sessionCreated(NewSession session);

    /**
     * ALPN: pick one of the protocols the client offered, or {@code null} to proceed without ALPN;
     * throw to abort the handshake with a {@code no_application_protocol} alert.
     */
    String selectApplicationProtocol(List<String> offered);
}
