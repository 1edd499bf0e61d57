package io.tlssessioncache.benchmarks.handshake;

/** The server-side TLS stacks compared. */
enum Provider {
    /** This project: OpenSSL 3 via FFM, ClientHello lookup in the shared store. */
    ENGINE("this engine"),
    /** Stock Netty, {@code SslProvider.OPENSSL} (netty-tcnative-boringssl-static), default per-node session handling. */
    NETTY_OPENSSL("Netty OPENSSL (tcnative/BoringSSL)"),
    /** Stock Netty, {@code SslProvider.JDK} (SunJSSE), default per-node session handling. */
    NETTY_JDK("Netty JDK (SunJSSE)");

    final String label;

    Provider(String label) {
        this.label = label;
    }
}
