package io.tlssessioncache.netty;

import io.tlssessioncache.core.SessionId;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the session lookup needs to know of a ClientHello, as {@link ClientHelloParser} found it.
 *
 * @param legacyVersion        {@code legacy_version} (TLS 1.2 clients: the highest version, e.g. 0x0303)
 * @param legacySessionId      {@code legacy_session_id} if exactly 32 bytes (a TLS 1.2 session id to
 *                             resume, or a TLS 1.3 client's random middlebox-compatibility value)
 * @param serverName           the SNI host name (validated, lower case), if sent
 * @param offersTls13          whether {@code supported_versions} lists TLS 1.3
 * @param offersTls12          whether the client accepts TLS 1.2: listed in {@code supported_versions}
 *                             or, without that extension, {@code legacy_version >= 0x0303}
 * @param offersPskModes       whether {@code psk_key_exchange_modes} lists psk_ke or psk_dhe_ke
 *                             (without it a server must not resume by PSK, RFC 8446 section 4.2.9)
 * @param applicationProtocols the ALPN protocol names in the client's order (empty if none)
 * @param pskIdentities        the 32-byte identities of {@code pre_shared_key} in the client's
 *                             order, at most {@link ClientHelloParser#MAX_PSK_IDENTITIES}; identities
 *                             of other lengths are not ours and are left out
 */
record ClientHelloInfo(
        int legacyVersion,
        Optional<SessionId> legacySessionId,
        Optional<String> serverName,
        boolean offersTls13,
        boolean offersTls12,
        boolean offersPskModes,
        List<String> applicationProtocols,
        List<SessionId> pskIdentities) {

    public ClientHelloInfo {
        Objects.requireNonNull(legacySessionId, "legacySessionId");
        Objects.requireNonNull(serverName, "serverName");
        applicationProtocols = List.copyOf(applicationProtocols);
        pskIdentities = List.copyOf(pskIdentities);
    }

    /** The first PSK identity that could be one of our tickets: the one OpenSSL would try to resume. */
    public Optional<SessionId> firstPskIdentity() {
        return pskIdentities.isEmpty() ? Optional.empty() : Optional.of(pskIdentities.getFirst());
    }
}
