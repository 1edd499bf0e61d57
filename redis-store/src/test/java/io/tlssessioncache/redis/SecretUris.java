package io.tlssessioncache.redis;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;

/**
 * Store URIs holding a password, in many malformed shapes, for tests of every tool that takes a
 * store URI (public: the server module's tests use them through the test-jar). Passwords are random
 * and full of the characters that break URIs ({@code : @ / ? # % [ ]} ...), which makes malformed
 * shapes of their own.
 */
public final class SecretUris {
    private SecretUris() {
    }

    /** {u}: user, {p}: password, {h}: host:port (a port nothing listens on). */
    public static final List<String> SHAPES = List.of(
            "redis:{p}@{h}", "redis:{u}:{p}@{h}", "redis:/{u}:{p}@{h}", "redis//{u}:{p}@{h}", "redis:///{u}:{p}@{h}",
            "{u}:{p}@{h}", "{p}@{h}", ":{p}@{h}", "//{u}:{p}@{h}", "REDIS:{p}@{h}",
            "redis://{u}:{p}", "redis://:{p}", "redis://{u}:{p}@", "redis://{u}:{p}@:1", "redis://{u}:{p}@{h}:x",
            "redis://{u}:{p}@127.0.0.1:99999", "redis://{u}:{p}@{h}/notadb", "redis://{u}:{p}@{h}?timeout=bad",
            "redis://{u}:{p}@@{h}", " redis://{u}:{p}@{h}", "redis://{u}:{p}@{h}#x", "redis://{u}:{p}%zz@{h}",
            "redis://{u}:{p}@[::1", "redis://{u}@{p}@{h}", "redis://{p}:{p}@{h}", "rediss:{u}:{p}@{h}",
            "redis-cluster:{u}:{p}@{h},{h}", "redis-cluster://{u}:{p}@{h},,{h}", "redis-cluster://{u}:{p}@",
            "redis-cluster://{u}:{p}@a:x,b:y", "redis-cluster://{u}:{p}", "rediss-cluster://{u}:{p}@,",
            "redis-sentinel://{u}:{p}@{h}", "redis-sentinel://{u}:{p}@?sentinelMasterId=m",
            "redis-sentinel:{u}:{p}@{h}?sentinelMasterId=m", "redis-socket://{u}:{p}@", "redis-socket:{p}@/x",
            "http://{u}:{p}@{h}", "memory:{p}", "redis://{u}:{p}@{h}", "redis://:{p}@{h}/0",
            "redis-cluster://{u}:{p}@{h},{h}");
    private static final String SPECIAL = ":@/?#%[]!$&'()*+,;=~. \\\"<>{}|^`";

    /** A password the test can recognise: random letters, digits and URI-breaking characters. */
    public static String password(Random random) {
        StringBuilder sb = new StringBuilder("Pw");
        int n = 10 + random.nextInt(14);
        for (int i = 0; i < n; i++) {
            if (random.nextInt(3) == 0) {
                sb.append(SPECIAL.charAt(random.nextInt(SPECIAL.length())));
            } else {
                sb.append((char) ('a' + random.nextInt(26)));
            }
        }
        return sb.toString();
    }

    public static String uri(String shape, String user, String password) {
        return shape.replace("{u}", user).replace("{p}", password).replace("{h}", "127.0.0.1:1");
    }

    /** Fails if {@code text} holds 6 or more consecutive characters of {@code password}. */
    public static void assertNoPart(String password, String text, String what) {
        for (int i = 0; i + 6 <= password.length(); i++) {
            String part = password.substring(i, i + 6);
            if (text.contains(part)) {
                fail(what + " shows part of the password (\"" + part + "\" of a test password): " + text);
            }
        }
    }
}
