package io.tlssessioncache.core;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A revocation watermark: every session in {@code scope}/{@code value} created before
 * {@code createdBefore} is no longer resumable.
 *
 * <p>Values per scope, normalized by the constructor:
 * <ul>
 *   <li>{@link Scope#ALL}: {@code ""};</li>
 *   <li>{@link Scope#NAMESPACE}: the namespace, compared exactly;</li>
 *   <li>{@link Scope#SERVER_NAME}: the SNI host name, compared case-insensitively (stored lower-case);</li>
 *   <li>{@link Scope#CLIENT_IDENTITY}: the 64 lower-case hex digits of the SHA-256 of the client's
 *       leaf certificate (as in {@link SessionRecord#clientIdentity()}).</li>
 * </ul>
 *
 * <p>Text form ({@link #encode}/{@link #decode}), used for Redis keys and pub/sub messages:
 * {@code v1 SCOPE createdBefore[ value]}, single spaces, {@code createdBefore} in ISO-8601
 * ({@link Instant#toString()}); the value is the rest of the string and is absent for {@code ALL}.
 */
public record Revocation(Scope scope, String value, Instant createdBefore) {

    /** What a watermark applies to. */
    public enum Scope { ALL, NAMESPACE, SERVER_NAME, CLIENT_IDENTITY }

    private static final HexFormat HEX = HexFormat.of();
    private static final int MAX_VALUE_LENGTH = 1024;

    public Revocation {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(createdBefore, "createdBefore");
        switch (scope) {
            case ALL -> {
                if (!value.isEmpty()) {
                    throw new IllegalArgumentException("an ALL revocation has an empty value");
                }
            }
            case NAMESPACE -> {
                if (value.isEmpty() || value.length() > 64) {
                    throw new IllegalArgumentException("namespace must be 1 to 64 characters");
                }
            }
            case SERVER_NAME -> {
                if (value.isEmpty() || value.length() > MAX_VALUE_LENGTH) {
                    throw new IllegalArgumentException("server name must be 1 to " + MAX_VALUE_LENGTH + " characters");
                }
                value = value.toLowerCase(Locale.ROOT);
            }
            case CLIENT_IDENTITY -> {
                if (value.length() != 64 || !isHex(value)) {
                    throw new IllegalArgumentException("client identity must be 64 hex digits (SHA-256)");
                }
                value = value.toLowerCase(Locale.ROOT);
            }
        }
    }

    /** Revokes every session created before {@code createdBefore}. */
    public static Revocation all(Instant createdBefore) {
        return new Revocation(Scope.ALL, "", createdBefore);
    }

    /** Revokes the sessions of one namespace created before {@code createdBefore}. */
    public static Revocation namespace(String namespace, Instant createdBefore) {
        return new Revocation(Scope.NAMESPACE, namespace, createdBefore);
    }

    /** Revokes the sessions made for one SNI host name created before {@code createdBefore}. */
    public static Revocation serverName(String serverName, Instant createdBefore) {
        return new Revocation(Scope.SERVER_NAME, serverName, createdBefore);
    }

    /** Revokes the sessions of one client certificate (its SHA-256) created before {@code createdBefore}. */
    public static Revocation clientIdentity(byte[] sha256, Instant createdBefore) {
        if (sha256 == null || sha256.length != SessionRecord.CLIENT_IDENTITY_LENGTH) {
            throw new IllegalArgumentException("client identity must be a 32-byte SHA-256");
        }
        return new Revocation(Scope.CLIENT_IDENTITY, HEX.formatHex(sha256), createdBefore);
    }

    /** Whether {@code r} is in this scope and was created before the watermark. */
    public boolean covers(SessionRecord r) {
        return matchesScope(r) && r.createdAt().isBefore(createdBefore);
    }

    private boolean matchesScope(SessionRecord r) {
        return switch (scope) {
            case ALL -> true;
            case NAMESPACE -> value.equals(r.namespace());
            case SERVER_NAME -> r.serverName() != null && value.equals(r.serverName().toLowerCase(Locale.ROOT));
            case CLIENT_IDENTITY -> {
                byte[] c = r.clientIdentity();
                yield c != null && value.equals(HEX.formatHex(c));
            }
        };
    }

    /** The compact text form described in the class comment. */
    public String encode() {
        String head = "v1 " + scope.name() + " " + createdBefore;
        return scope == Scope.ALL ? head : head + " " + value;
    }

    /** Parses {@link #encode}'s output strictly; {@link IllegalArgumentException} otherwise. */
    public static Revocation decode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("revocation text is null");
        }
        if (text.length() > MAX_VALUE_LENGTH + 100) {
            throw new IllegalArgumentException("revocation text too long");
        }
        String[] parts = text.split(" ", 4);
        if (parts.length < 3 || !parts[0].equals("v1")) {
            throw new IllegalArgumentException("revocation text must start with 'v1 SCOPE createdBefore'");
        }
        Scope scope;
        try {
            scope = Scope.valueOf(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown revocation scope");
        }
        Instant before;
        try {
            before = Instant.parse(parts[2]);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("revocation time is not an ISO-8601 instant");
        }
        if (scope == Scope.ALL) {
            if (parts.length != 3) {
                throw new IllegalArgumentException("an ALL revocation has no value");
            }
            return canonical(new Revocation(scope, "", before), text);
        }
        if (parts.length != 4) {
            throw new IllegalArgumentException("a " + scope + " revocation needs a value");
        }
        return canonical(new Revocation(scope, parts[3], before), text);
    }

    // Only exactly what encode() writes is accepted (no other case, offset or fraction spelling),
    // so one watermark has one text form, e.g. as a Redis key.
    private static Revocation canonical(Revocation r, String text) {
        if (!r.encode().equals(text)) {
            throw new IllegalArgumentException("revocation text is not in canonical form");
        }
        return r;
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!HexFormat.isHexDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
