package io.tlssessioncache.redis;

/**
 * An admin operation could not be done: Redis unreachable, a command refused (ACL), or it failed.
 * Messages name the host and the Redis error, never a password, key or value.
 */
public final class AdminException extends RuntimeException {

    /** Why it failed; the CLI maps each kind to an exit code. */
    public enum Kind {
        /** Redis could not be reached (connect or command timeout, connection refused). */
        UNREACHABLE,
        /** Redis refused a command: the ACL user lacks a permission (NOPERM) or authentication failed. */
        DENIED,
        /** Anything else Redis answered with an error. */
        FAILED
    }

    private final Kind kind;

    public AdminException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
