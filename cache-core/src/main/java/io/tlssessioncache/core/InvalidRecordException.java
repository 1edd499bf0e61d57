package io.tlssessioncache.core;

/**
 * Stored bytes that cannot be trusted: malformed encoding, unknown format version, a bad length,
 * trailing bytes, a sealed blob that was tampered with, truncated, sealed for another
 * namespace/id or under a key this process does not have.
 *
 * <p>This is the one exception the codecs throw for bad input. Callers treat it as a miss (a full
 * handshake) and count it. The message says what is wrong and never contains the bytes.
 */
public class InvalidRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String message) {
        super(message);
    }

    public InvalidRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
