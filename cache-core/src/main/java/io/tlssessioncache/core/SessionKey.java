package io.tlssessioncache.core;

import java.util.Objects;

/**
 * Where a session lives: the namespace of the server configuration that made it (derived from
 * OpenSSL's session id context: certificate, client-auth policy, a user-given name) and its id.
 * A session made under one namespace is never found under another.
 */
public record SessionKey(String namespace, SessionId id) {
    public SessionKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(id, "id");
        if (namespace.isEmpty() || namespace.length() > 64) {
            throw new IllegalArgumentException("namespace must be 1 to 64 characters");
        }
    }
}
