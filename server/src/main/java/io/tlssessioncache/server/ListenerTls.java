package io.tlssessioncache.server;

import io.netty.channel.ChannelPipeline;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/**
 * The TLS side of one listener: its own TLS context (every listener is an independent server
 * instance; they share only the session store).
 */
interface ListenerTls extends AutoCloseable {

    /** Adds, first in a new connection's pipeline, what performs the TLS handshake. */
    void addTlsHandlers(ChannelPipeline pipeline);

    /** Whether the handshake of {@code engine} resumed a session; empty when the engine cannot tell. */
    Optional<Boolean> resumed(SSLEngine engine);

    /** Releases the TLS context. */
    @Override
    void close();
}
