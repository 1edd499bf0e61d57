package io.tlssessioncache.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Which session store {@code serve} uses, as given by {@code --store}: {@code memory} (the
 * default, this process only) or a Redis URI shared by a fleet ({@code redis://},
 * {@code rediss://}, {@code redis-sentinel://}, {@code redis-cluster://}). Parsing only checks the
 * form; {@link SessionStores} decides whether this build can open it.
 */
sealed interface StoreSpec {

    /** The store inside this process: nothing is shared with other processes. */
    record Memory() implements StoreSpec {
        @Override
        public String toString() {
            return "memory";
        }
    }

    /** A Redis deployment. The URI may hold a password: {@link #toString()} never shows it. */
    record Redis(String uri) implements StoreSpec {
        @Override
        public String toString() {
            return redacted(uri);
        }
    }

    static StoreSpec parse(String text) {
        String value = text.strip();
        if (value.equalsIgnoreCase("memory")) {
            return new Memory();
        }
        String scheme = value.contains("://") ? value.substring(0, value.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        switch (scheme) {
            case "redis", "rediss", "redis-socket", "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster" -> {
                try {
                    new URI(value);
                } catch (URISyntaxException e) {
                    // The message would echo the URI, password included.
                    throw new IllegalArgumentException("'" + redacted(value) + "' is not a valid Redis URI");
                }
                return new Redis(value);
            }
            default -> throw new IllegalArgumentException("'" + redacted(value)
                    + "' is not a store: use 'memory' or a Redis URI (redis://, rediss://, redis-sentinel://, redis-cluster://)");
        }
    }

    /** The URI with any user-info (where Redis passwords live) replaced by {@code ***}. */
    static String redacted(String uri) {
        int schemeEnd = uri.indexOf("://");
        int at = uri.lastIndexOf('@');
        if (schemeEnd < 0 || at < schemeEnd) {
            return uri;
        }
        return uri.substring(0, schemeEnd + 3) + "***" + uri.substring(at);
    }

    final class Converter implements CommandLine.ITypeConverter<StoreSpec> {
        @Override
        public StoreSpec convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
