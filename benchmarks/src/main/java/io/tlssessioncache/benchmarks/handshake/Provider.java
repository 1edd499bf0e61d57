package io.tlssessioncache.benchmarks.handshake;

/** The server-side TLS stacks compared. */
enum Provider {
    /** This project: OpenSSL 3 via FFM, ClientHello lookup in the shared store by {@code ClientHelloLookupHandler}. */
    ENGINE("this engine"),
    /** This project as a drop-in context: only {@code ctx.newHandler(alloc)}, the engine looks sessions up itself. */
    ENGINE_DROP_IN("this engine, drop-in (lookup in the engine)"),
    /** Stock Netty, {@code SslProvider.OPENSSL} (netty-tcnative-boringssl-static), default per-node session handling. */
    NETTY_OPENSSL("Netty OPENSSL (tcnative/BoringSSL)"),
    /** Stock Netty, {@code SslProvider.JDK} (SunJSSE), default per-node session handling. */
    NETTY_JDK("Netty JDK (SunJSSE)");

    final String label;

    Provider(String label) {
        this.label = label;
    }
}
