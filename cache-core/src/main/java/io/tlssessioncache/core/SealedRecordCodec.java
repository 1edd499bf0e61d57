package io.tlssessioncache.core;

import java.util.Objects;

/**
 * {@link SessionRecordCodec} plus {@link SealingKeyRing}: the bytes a remote store (Redis) keeps.
 * The blob is bound to the record's key (namespace, protocol and id are its associated data), so it
 * only opens under the key it was stored under, and the record it opens to takes that key.
 */
public final class SealedRecordCodec {
    /** The longest blob {@link #encode} can make; {@link #decode} rejects longer ones unread. */
    public static final int MAX_SEALED_LENGTH = SessionRecordCodec.MAX_ENCODED_LENGTH + SealingKeyRing.OVERHEAD;

    private final SealingKeyRing ring;

    public SealedRecordCodec(SealingKeyRing ring) {
        this.ring = Objects.requireNonNull(ring, "ring");
    }

    /** Encodes and seals {@code r} under {@code r.key()} with the ring's primary key. */
    public byte[] encode(SessionRecord r) {
        return ring.seal(r.key(), SessionRecordCodec.encode(r));
    }

    /**
     * Opens and decodes a blob read under {@code key}; any problem (tampering, unknown key, a blob
     * sealed for another key, malformed plaintext) is an {@link InvalidRecordException}.
     */
    public SessionRecord decode(SessionKey key, byte[] blob) {
        if (blob != null && blob.length > MAX_SEALED_LENGTH) {
            // Do not spend AES work on something that cannot hold a valid record.
            throw new InvalidRecordException("sealed record of " + blob.length + " bytes exceeds " + MAX_SEALED_LENGTH);
        }
        return SessionRecordCodec.decode(key, ring.open(key, blob));
    }

    /** The key ring in use. */
    public SealingKeyRing keyRing() {
        return ring;
    }

    @Override
    public String toString() {
        return "SealedRecordCodec[" + ring + "]";
    }
}
