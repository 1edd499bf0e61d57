package io.tlssessioncache.server;

import io.netty.handler.ssl.ClientAuth;

/** {@code --client-auth}: whether the server asks clients for a certificate. */
enum ClientAuthMode {
    NONE(ClientAuth.NONE),
    OPTIONAL(ClientAuth.OPTIONAL),
    REQUIRE(ClientAuth.REQUIRE);

    private final ClientAuth netty;

    ClientAuthMode(ClientAuth netty) {
        this.netty = netty;
    }

    ClientAuth toNetty() {
        return netty;
    }
}
