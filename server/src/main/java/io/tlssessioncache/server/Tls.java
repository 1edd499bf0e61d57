package io.tlssessioncache.server;

/** Which TLS engine this build uses. */
final class Tls {

    private Tls() {
    }

    static TlsProvider provider() {
        return new OpenSslTls();
    }
}
