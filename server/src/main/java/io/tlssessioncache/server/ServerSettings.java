package io.tlssessioncache.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link ServerNode} needs, checked: what {@code serve}'s options become.
 *
 * @param listen          one independent server instance per address, all sharing one store
 * @param certificate     PEM certificate chain and key; empty: generate a self-signed one
 * @param store           where sessions live
 * @param maxSessions     bound of the in-process store
 * @param sessionTimeout  how long a session may be resumed
 * @param tickets         TLS 1.3 tickets sent after a full handshake
 * @param protocols       enabled protocol versions, e.g. TLSv1.2, TLSv1.3
 * @param clientAuth      client certificate policy
 * @param trust           PEM CA certificates that client certificates must chain to
 * @param contextName     the user part of the session namespace
 * @param lookupDeadline  how long a handshake waits for the store before going on without it
 * @param keyPrefix       Redis only: first part of every key
 * @param sealingKeyFile  Redis only: the key ring file sealing entries at rest
 * @param metricsListen   where to serve the meters over plain HTTP ({@code GET /metrics}); empty: nowhere
 * @param missRetryDelay  Redis only: when a lookup that found nothing is asked once more (zero: never); empty: the store's default
 * @param requestHeadTimeout    how long after the handshake a connection's first request may take to arrive in full (zero: no limit)
 * @param maxConnections        most open client connections over all listeners; more are refused at accept
 * @param peerErrorLogInterval  how often a summary of peers' errors is logged (if there were any)
 */
record ServerSettings(
        List<HostPort> listen,
        Optional<CertificateFiles> certificate,
        StoreSpec store,
        long maxSessions,
        Duration sessionTimeout,
        int tickets,
        List<String> protocols,
        ClientAuthMode clientAuth,
        Optional<Path> trust,
        String contextName,
        Duration lookupDeadline,
        Optional<String> keyPrefix,
        Optional<Path> sealingKeyFile,
        Optional<HostPort> metricsListen,
        Optional<Duration> missRetryDelay,
        Duration requestHeadTimeout,
        int maxConnections,
        Duration peerErrorLogInterval) {

    ServerSettings {
        listen = List.copyOf(listen);
        protocols = List.copyOf(protocols);
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(clientAuth, "clientAuth");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(contextName, "contextName");
        Objects.requireNonNull(lookupDeadline, "lookupDeadline");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(sealingKeyFile, "sealingKeyFile");
        Objects.requireNonNull(metricsListen, "metricsListen");
        Objects.requireNonNull(missRetryDelay, "missRetryDelay");
        Objects.requireNonNull(requestHeadTimeout, "requestHeadTimeout");
        Objects.requireNonNull(peerErrorLogInterval, "peerErrorLogInterval");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1");
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("at least one listen address");
        }
    }

    /** A certificate chain and its private key, both PEM files. */
    record CertificateFiles(Path certificate, Path privateKey) {
        CertificateFiles {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }
}
