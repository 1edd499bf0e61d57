package io.tlssessioncache.server;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads durations as people write them on a command line: {@code 50ms}, {@code 2s}, {@code 5m},
 * {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT2H}). A bare number is refused: a unit-less
 * "50" is too easy to mean milliseconds and get seconds.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /** The duration {@code value} names; also for the admin commands' converters. */
    public static Duration parse(String value) {
        String text = value.strip().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(text);
        Duration result;
        if (m.matches()) {
            long amount = Long.parseLong(m.group(1));
            result = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> throw new AssertionError(m.group(2));
            };
        } else if (text.startsWith("pt") || text.startsWith("p")) {
            try {
                result = Duration.parse(text.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw invalid(value);
            }
        } else {
            throw invalid(value);
        }
        if (result.isNegative()) {
            throw invalid(value);
        }
        return result;
    }

    private static CommandLine.TypeConversionException invalid(String value) {
        return new CommandLine.TypeConversionException(
                "'" + value + "' is not a duration: write a number and a unit, e.g. 50ms, 2s, 5m, 2h, 1d");
    }
}
