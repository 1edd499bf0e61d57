package io.tlssessioncache.core;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One resumable session: the engine's opaque state plus the metadata that eviction needs.
 *
 * <p>{@code state} is OpenSSL's {@code i2d_SSL_SESSION} output and holds the resumption secret:
 * it is never logged ({@link #toString} leaves it out) and is sealed before it leaves the process.
 * Byte arrays are copied in and out, so a record is immutable.
 *
 * <p>It holds only what resumption and eviction need: the cipher suite, ALPN protocol and the
 * rest of the negotiated parameters are inside {@code state} already, where OpenSSL reads them; the
 * protocol is the key's.
 *
 * @param key             namespace, protocol and id
 * @param serverName      the SNI host name the client asked for, or {@code null} (kept for revocation by name)
 * @param clientIdentity  SHA-256 of the client's leaf certificate (32 bytes), or {@code null}
 * @param createdAt       when the session was made (wall clock, millisecond precision)
 * @param expiresAt       when it stops being resumable; after {@code createdAt}
 * @param state           the engine's serialized session (secret)
 */
public record SessionRecord(
        SessionKey key,
        String serverName,
        byte[] clientIdentity,
        Instant createdAt,
        Instant expiresAt,
        byte[] state) {

    /** Length of {@link #clientIdentity()} when present. */
    public static final int CLIENT_IDENTITY_LENGTH = 32;

    public SessionRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(state, "state");
        if (clientIdentity != null && clientIdentity.length != CLIENT_IDENTITY_LENGTH) {
            throw new IllegalArgumentException("clientIdentity is a SHA-256 digest (32 bytes)");
        }
        if (!expiresAt.isAfter(createdAt)) {
            throw new IllegalArgumentException("expiresAt must be after createdAt");
        }
        clientIdentity = clientIdentity == null ? null : clientIdentity.clone();
        state = state.clone();
    }

    public SessionId id() {
        return key.id();
    }

    public String namespace() {
        return key.namespace();
    }

    /** The protocol the session was negotiated with: the key's. */
    public TlsProtocol protocol() {
        return key.protocol();
    }

    @Override
    public byte[] clientIdentity() {
        return clientIdentity == null ? null : clientIdentity.clone();
    }

    @Override
    public byte[] state() {
        return state.clone();
    }

    /** Whether the session can still be resumed at {@code now}. */
    public boolean isLiveAt(Instant now) {
        return now.isBefore(expiresAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionRecord r
                && key.equals(r.key)
                && Objects.equals(serverName, r.serverName)
                && Arrays.equals(clientIdentity, r.clientIdentity)
                && createdAt.equals(r.createdAt)
                && expiresAt.equals(r.expiresAt)
                && Arrays.equals(state, r.state);
    }

    @Override
    public int hashCode() {
        return key.hashCode();
    }

    /** Metadata only: the state (secret) never appears. */
    @Override
    public String toString() {
        return "SessionRecord[" + key.namespace() + "/" + key.id() + ", " + key.protocol().javaName()
                + ", sni=" + serverName
                + ", client=" + (clientIdentity == null ? "none" : HexFormat.of().formatHex(clientIdentity, 0, 4) + "…")
                + ", created=" + createdAt + ", expires=" + expiresAt + ", state=" + state.length + " bytes]";
    }
}
