package io.tlssessioncache.redis.admin;

import io.tlssessioncache.core.SessionId;
import io.tlssessioncache.core.SessionKey;
import java.nio.charset.StandardCharsets;

/**
 * The store's key layout, {@code <prefix>:<namespace>:<64 hex id>} (as written by
 * {@code RedisSessionStore}), read backwards: the id is the last 64 characters, the namespace
 * what lies between. Other keys under the prefix ({@code <prefix>:revocations}) do not parse.
 */
final class KeyLayout {
    private static final int HEX = SessionId.LENGTH * 2;

    private final String prefix;

    KeyLayout(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** SCAN pattern for every key under the prefix. */
    String allPattern() {
        return glob(prefix) + ":*";
    }

    /** SCAN pattern for one id in any namespace. */
    String idPattern(SessionId id) {
        return glob(prefix) + ":*:" + id.toHex();
    }

    String key(SessionKey k) {
        return prefix + ":" + k.namespace() + ":" + k.id().toHex();
    }

    /** The session key a Redis key names, or {@code null} if it is not a session entry. */
    SessionKey parse(byte[] raw) {
        String key = new String(raw, StandardCharsets.UTF_8);
        int nsStart = prefix.length() + 1;
        int idStart = key.length() - HEX;
        if (!key.startsWith(prefix + ":") || idStart - 1 <= nsStart || key.charAt(idStart - 1) != ':') {
            return null;
        }
        String ns = key.substring(nsStart, idStart - 1);
        if (ns.length() > 64) {
            return null;
        }
        try {
            return new SessionKey(ns, SessionId.fromHex(key.substring(idStart)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Escapes glob metacharacters, so a prefix is matched literally. */
    static String glob(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
