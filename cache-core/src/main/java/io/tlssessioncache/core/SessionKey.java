package io.tlssessioncache.core;

import java.util.Objects;

/**
 * Where a session lives: the namespace of the server configuration that made it (derived from
 * OpenSSL's session id context: certificate, client-auth policy, a user-given name), the protocol it
 * was negotiated with, and its id.
 *
 * <p>Each (namespace, protocol) pair is its own key space: a session is found only under the key it
 * was stored under. So a TLS 1.2 session id, which travels in clear text, presented as a TLS 1.3 PSK
 * identity names another key, and the single-use take of TLS 1.3 can never find, nor delete, the
 * TLS 1.2 session; nor does a session made under one namespace resume under another.
 */
public record SessionKey(String namespace, TlsProtocol protocol, SessionId id) {
    /** Most characters of a namespace. */
    public static final int MAX_NAMESPACE_LENGTH = 64;

    public SessionKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(id, "id");
        if (namespace.isEmpty() || namespace.length() > MAX_NAMESPACE_LENGTH) {
            throw new IllegalArgumentException("namespace must be 1 to " + MAX_NAMESPACE_LENGTH + " characters");
        }
        // Stores name entries by the namespace's UTF-8 bytes, which must then be exact: an unpaired
        // surrogate would encode as '?' and two namespaces would share one key space.
        for (int i = 0; i < namespace.length(); i++) {
            char c = namespace.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < namespace.length()
                    && Character.isLowSurrogate(namespace.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("namespace is not valid UTF-16 (unpaired surrogate)");
            }
        }
    }
}
