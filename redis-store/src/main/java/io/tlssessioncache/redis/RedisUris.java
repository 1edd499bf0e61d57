package io.tlssessioncache.redis;

import io.lettuce.core.RedisURI;
import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * The Redis URIs the store and the admin tools accept, parsed and printed without ever showing
 * their credentials.
 *
 * <p>An error message never quotes the text it was given: a URI that does not parse may hold a
 * password anywhere (a missing {@code //}, a {@code /} or {@code ?} inside the password, a
 * forgotten host). What is printed of a URI ({@link #redact}) is rebuilt from what parsed (scheme,
 * hosts, database, Sentinel master), never cut out of the text.
 */
final class RedisUris {
    private static final List<String> SCHEMES = List.of("redis", "rediss", "redis-socket", "redis-sentinel",
            "rediss-sentinel", "redis-cluster", "rediss-cluster");
    private static final String FORMS = "use redis://host:port, rediss://host:port,"
            + " redis-sentinel://host:port?sentinelMasterId=NAME or redis-cluster://host:port,host:port"
            + " (rediss-cluster:// for TLS), with user and password as user:password@ before the hosts";

    private RedisUris() {
    }

    /**
     * What a URI names: one Lettuce URI (standalone, Unix socket or Sentinel) or the seed nodes of a
     * cluster ({@code cluster == true}).
     */
    record Target(String scheme, boolean cluster, List<RedisURI> uris) {
        Target {
            uris = List.copyOf(uris);
        }
    }

    /** Parses and validates {@code uri}; {@link IllegalArgumentException} with a message that quotes none of it. */
    static Target parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("Redis URI is empty");
        }
        String scheme = scheme(uri);
        if (scheme == null) {
            throw new IllegalArgumentException("not a Redis URI (the text is not repeated here: it may hold a password): "
                    + FORMS);
        }
        String rest = uri.substring(scheme.length() + 3);
        switch (scheme) {
            case "redis-cluster", "rediss-cluster" -> {
                String base = scheme.startsWith("rediss") ? "rediss://" : "redis://";
                int end = indexOfAny(rest, '/', '?');
                String authority = end < 0 ? rest : rest.substring(0, end);
                String suffix = end < 0 ? "" : rest.substring(end);
                int at = authority.lastIndexOf('@');
                String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
                List<RedisURI> seeds = new ArrayList<>();
                for (String h : authority.substring(at + 1).split(",", -1)) {
                    if (h.isBlank()) {
                        throw new IllegalArgumentException("invalid " + scheme + " URI: an empty seed node");
                    }
                    seeds.add(lettuceUri(scheme, base + userInfo + h.strip() + suffix));
                }
                return new Target(scheme, true, seeds);
            }
            default -> {
                return new Target(scheme, false, List.of(lettuceUri(scheme, uri)));
            }
        }
    }

    /** The known scheme {@code uri} starts with (lower case, followed by {@code ://}), or null. */
    private static String scheme(String uri) {
        int sep = uri.indexOf("://");
        if (sep < 0) {
            return null;
        }
        String s = uri.substring(0, sep).toLowerCase(Locale.ROOT);
        return SCHEMES.contains(s) ? s : null;
    }

    private static RedisURI lettuceUri(String scheme, String s) {
        RedisURI u;
        try {
            u = RedisURI.create(s);
        } catch (RuntimeException e) {
            // The class name only: Lettuce's message may quote the URI, password included.
            throw new IllegalArgumentException("invalid " + scheme + " URI (" + e.getClass().getSimpleName() + "): "
                    + FORMS);
        }
        if (u.getHost() == null && u.getSentinels().isEmpty() && u.getSocket() == null) {
            throw new IllegalArgumentException("invalid " + scheme + " URI: no host");
        }
        // Lettuce keeps what it cannot split as the host: "redis://user:password" (no "@host") would
        // make the password a host name, and print it. A host is a name or an IP address, nothing else.
        boolean hostsOk = u.getSocket() != null ? u.getSocket().matches("/[A-Za-z0-9._/-]{0,4095}")
                : u.getSentinels().isEmpty() && isHost(u.getHost())
                || !u.getSentinels().isEmpty() && u.getSentinels().stream().allMatch(sentinel -> isHost(sentinel.getHost()));
        if (!hostsOk) {
            throw new IllegalArgumentException("invalid " + scheme + " URI: a host must be a name or an IP address,"
                    + " a socket an absolute path of letters, digits and . _ - / (user:password@ goes before it)");
        }
        return u;
    }

    private static boolean isHost(String host) {
        return host != null && (host.matches("[A-Za-z0-9._-]{1,253}") || NetUtil.isValidIpV6Address(host));
    }

    private static int indexOfAny(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /**
     * A form of {@code uri} that is safe to log and print: rebuilt from what parsed, with
     * {@code ***@} where credentials were; for text that does not parse, only its scheme if it has a
     * known one.
     */
    static String redact(String uri) {
        Target t;
        try {
            t = parse(uri);
        } catch (IllegalArgumentException e) {
            String scheme = uri == null ? null : scheme(uri);
            return scheme == null ? "(not a Redis URI)" : scheme + "://(unparseable)";
        }
        RedisURI first = t.uris().getFirst();
        boolean credentials = t.uris().stream().anyMatch(u -> u.getCredentialsProvider() != null
                && hasCredentials(u));
        StringBuilder sb = new StringBuilder(t.scheme()).append("://").append(credentials ? "***@" : "");
        if (first.getSocket() != null) {
            sb.append(first.getSocket());
        } else {
            StringJoiner hosts = new StringJoiner(",");
            for (RedisURI u : t.uris()) {
                if (u.getSentinels().isEmpty()) {
                    hosts.add(u.getHost() + ":" + u.getPort());
                } else {
                    u.getSentinels().forEach(s -> hosts.add(s.getHost() + ":" + s.getPort()));
                }
            }
            sb.append(hosts);
        }
        if (first.getDatabase() != 0) {
            sb.append('/').append(first.getDatabase());
        }
        if (first.getSentinelMasterId() != null) {
            sb.append("?sentinelMasterId=").append(first.getSentinelMasterId());
        }
        return sb.toString();
    }

    private static boolean hasCredentials(RedisURI u) {
        var c = u.getCredentialsProvider().resolveCredentials().block();
        return c != null && (c.hasUsername() || c.hasPassword());
    }

    /**
     * A cause chain as one line ("RedisConnectionException: ... <- ConnectException: ..."), at most
     * about 300 characters, for error messages of the store and the admin tools. Lettuce's messages
     * carry hosts and ports, never passwords or values.
     */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 300; t = t.getCause()) {
            if (!sb.isEmpty()) {
                sb.append(" <- ");
            }
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                sb.append(": ").append(t.getMessage());
            }
        }
        return sb.toString();
    }
}
