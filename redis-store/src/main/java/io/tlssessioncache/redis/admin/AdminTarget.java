package io.tlssessioncache.redis.admin;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The URI forms the store accepts ({@code redis://}, {@code rediss://}, {@code redis-sentinel://},
 * {@code rediss-sentinel://}, {@code redis-cluster://h:p,h:p}, {@code rediss-cluster://}), parsed
 * the same way as {@code RedisSessionStores} does (whose parser is package-private there).
 */
record AdminTarget(boolean cluster, List<RedisURI> uris) {

    static AdminTarget parse(String uri, Duration timeout) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("Redis URI is empty");
        }
        int sep = uri.indexOf("://");
        String scheme = sep < 0 ? "" : uri.substring(0, sep).toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "redis", "rediss", "redis-sentinel", "rediss-sentinel", "redis-socket" -> {
                return new AdminTarget(false, List.of(lettuceUri(uri, timeout)));
            }
            case "redis-cluster", "rediss-cluster" -> {
                String base = scheme.startsWith("rediss") ? "rediss://" : "redis://";
                String rest = uri.substring(sep + 3);
                int end = indexOfAny(rest, '/', '?');
                String authority = end < 0 ? rest : rest.substring(0, end);
                String suffix = end < 0 ? "" : rest.substring(end);
                int at = authority.lastIndexOf('@');
                String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
                List<RedisURI> seeds = new ArrayList<>();
                for (String h : authority.substring(at + 1).split(",")) {
                    if (h.isBlank()) {
                        throw new IllegalArgumentException("empty seed node in Redis cluster URI " + redact(uri));
                    }
                    seeds.add(lettuceUri(base + userInfo + h.strip() + suffix, timeout));
                }
                return new AdminTarget(true, List.copyOf(seeds));
            }
            default -> throw new IllegalArgumentException("unsupported Redis URI " + redact(uri)
                    + ": use redis://host:port, rediss://host:port, redis-sentinel://host:port?sentinelMasterId=NAME"
                    + " or redis-cluster://host:port,host:port (rediss-cluster:// for TLS)");
        }
    }

    private static RedisURI lettuceUri(String s, Duration timeout) {
        RedisURI u;
        try {
            u = RedisURI.create(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid Redis URI " + redact(s) + ": " + e.getClass().getSimpleName());
        }
        if (u.getHost() == null && u.getSentinels().isEmpty() && u.getSocket() == null) {
            throw new IllegalArgumentException("invalid Redis URI " + redact(s) + ": no host");
        }
        u.setTimeout(timeout);
        return u;
    }

    private static int indexOfAny(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /** The URI with any user info replaced by {@code ***}: safe to log and print. */
    static String redact(String uri) {
        if (uri == null) {
            return "null";
        }
        int sep = uri.indexOf("://");
        int start = sep < 0 ? 0 : sep + 3;
        int end = indexOfAny(uri.substring(start), '/', '?');
        String authority = end < 0 ? uri.substring(start) : uri.substring(start, start + end);
        int at = authority.lastIndexOf('@');
        return at < 0 ? uri : uri.substring(0, start) + "***@" + uri.substring(start + at + 1);
    }
}
