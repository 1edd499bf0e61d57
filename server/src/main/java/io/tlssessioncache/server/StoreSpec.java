package io.tlssessioncache.server;

import io.tlssessioncache.redis.RedisSessionStores;
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
            return RedisSessionStores.redact(uri);
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
                    // Its message would echo the URI, password included.
                    throw new IllegalArgumentException("the store is not a valid Redis URI (" + NOT_SHOWN + ")");
                }
                return new Redis(value);
            }
            // A value that is not a URI may still hold a password: "redis:PASSWORD@host" lacks only "//".
            default -> throw new IllegalArgumentException("the store is neither 'memory' nor a Redis URI (redis://,"
                    + " rediss://, redis-sentinel://, redis-cluster://; " + NOT_SHOWN + ")");
        }
    }

    /** Why an error does not repeat what was given. */
    String NOT_SHOWN = "the value is not repeated here: it may hold a password";

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
