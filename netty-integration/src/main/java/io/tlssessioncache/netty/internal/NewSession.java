package io.tlssessioncache.netty.internal;

/**
 * A session OpenSSL just made resumable, copied out of native memory.
 *
 * @param id                  the session id (TLS 1.3: the ticket's PSK identity)
 * @param state               {@code i2d_SSL_SESSION} output: secret, never log it
 * @param protocolVersion     wire version, 0x0303 or 0x0304
 * @param cipherSuite         the IANA name, e.g. {@code TLS_AES_128_GCM_SHA256}
 * @param serverName          SNI the client sent, or null
 * @param applicationProtocol ALPN protocol, or null
 * @param peerCertificate     DER of the client's leaf certificate, or null
 * @param timeSeconds         creation time, epoch seconds ({@code SSL_SESSION_get_time})
 */
public record NewSession(byte[] id, byte[] state, int protocolVersion, String cipherSuite, String serverName,
                         String applicationProtocol, byte[] peerCertificate, long timeSeconds) {
    @Override
    public String toString() {
        return "NewSession[" + id.length + "-byte id, 0x" + Integer.toHexString(protocolVersion) + ", " + cipherSuite + "]";
    }
}
