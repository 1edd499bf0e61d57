package io.tlssessioncache.server.admin;

import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.server.DurationConverter;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import picocli.CommandLine;

/** Option converters of the admin commands: bad input is a usage error (exit 2) with a clear message. */
final class Converters {
    private Converters() {
    }

    /** 64 hex digits: a TLS 1.3 ticket or TLS 1.2 session id as the store keys it. */
    static final class Id implements CommandLine.ITypeConverter<SessionId> {
        @Override
        public SessionId convert(String value) {
            try {
                return SessionId.fromHex(value.strip());
            } catch (IllegalArgumentException e) {
                throw refused(value, "a session id: give the 64 hex digits of the TLS 1.3 ticket or TLS 1.2 session id");
            }
        }
    }

    /** The SHA-256 of a client certificate (DER), 64 hex digits (colons, as openssl prints fingerprints, allowed): lower-case hex. */
    static final class Sha256 implements CommandLine.ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String hex = value.strip().replace(":", "");
            if (hex.length() == 64) {
                try {
                    HexFormat.of().parseHex(hex);
                    return hex.toLowerCase(Locale.ROOT);
                } catch (IllegalArgumentException ignored) {
                    // reported below
                }
            }
            throw refused(value, "a SHA-256: give 64 hex digits (openssl x509 -noout -fingerprint -sha256 -in CERT)");
        }
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}, {@code 7d} or ISO-8601 ({@code PT2H}); more than zero. */
    static final class Age implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d;
            try {
                d = DurationConverter.parse(value); // the serve command's syntax; refuses negatives
            } catch (CommandLine.TypeConversionException e) {
                d = null; // reported below, with this option's examples
            }
            if (d == null || d.isNegative() || d.isZero()) {
                throw refused(value, "a duration: write a number and a unit, e.g. 90s, 30m, 2h, 7d");
            }
            return d;
        }
    }

    /** "'VALUE' is not WHAT", the value cut to 80 characters (it may be a whole pasted line). */
    private static CommandLine.TypeConversionException refused(String value, String what) {
        String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return new CommandLine.TypeConversionException("'" + shown + "' is not " + what);
    }
}
