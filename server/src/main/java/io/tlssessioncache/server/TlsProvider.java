package io.tlssessioncache.server;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.tlssessioncache.core.SessionCacheMetrics;
import io.tlssessioncache.core.SessionStore;

/** Makes the TLS context of each listener. */
interface TlsProvider {

    /**
     * A new, independent TLS context for one listener.
     *
     * @param settings    the server's settings (protocols, client auth, timeouts, context name)
     * @param certificate the certificate and key files (given or generated)
     * @param store       the session store every listener shares
     * @param alpn        the application protocols to offer
     * @param metrics     where the engine and the ClientHello lookup count what they do
     */
    ListenerTls newListener(ServerSettings settings, ServerSettings.CertificateFiles certificate,
                            SessionStore store, ApplicationProtocolConfig alpn, SessionCacheMetrics metrics) throws Exception;
}
