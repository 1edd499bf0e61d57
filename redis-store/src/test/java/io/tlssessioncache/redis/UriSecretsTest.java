package io.tlssessioncache.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tlssessioncache.core.CountingMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A store URI holding a password, in many malformed shapes: no error message, no redacted form and
 * no log line may carry any part of the password. Passwords are random and full of the characters
 * that break URIs ({@code : @ / ? # % [ ]} ...), which makes malformed shapes of their own.
 */
@Timeout(120)
class UriSecretsTest {
    /** {u}: user, {p}: password, {h}: host:port (a port nothing listens on). */
    static final List<String> SHAPES = List.of(
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
    static final String SPECIAL = ":@/?#%[]!$&'()*+,;=~. \\\"<>{}|^`";

    /** A password the test can recognise: random letters, digits and URI-breaking characters. */
    static String password(Random random) {
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

    static String uri(String shape, String user, String password) {
        return shape.replace("{u}", user).replace("{p}", password).replace("{h}", "127.0.0.1:1");
    }

    /** Fails if {@code text} holds 6 or more consecutive characters of {@code password}. */
    static void assertNoPart(String password, String text, String what) {
        for (int i = 0; i + 6 <= password.length(); i++) {
            String part = password.substring(i, i + 6);
            if (text.contains(part)) {
                fail(what + " shows part of the password (\"" + part + "\" of a test password): " + text);
            }
        }
    }

    @Test
    void parseErrorsAndRedactedFormsNeverShowThePassword() {
        Random random = new Random(12);
        int parsed = 0;
        int refused = 0;
        for (String shape : SHAPES) {
            for (int i = 0; i < 40; i++) {
                String password = password(random);
                String uri = uri(shape, "app", password);
                try {
                    RedisUris.parse(uri);
                    parsed++;
                } catch (IllegalArgumentException e) {
                    refused++;
                    assertNoPart(password, String.valueOf(e.getMessage()), "the error for " + shape);
                } catch (RuntimeException e) {
                    fail("parse threw " + e.getClass().getName() + " for " + shape);
                }
                assertNoPart(password, RedisSessionStores.redact(uri), "the redacted form of " + shape);
            }
        }
        // Both paths ran: some shapes parse (a password with '@', say), most do not.
        assertTrue(parsed > 0 && refused > parsed, parsed + " parsed, " + refused + " refused");
    }

    @Test
    void connectingNeitherPrintsNorLogsThePassword() {
        Random random = new Random(13);
        RedisStoreOptions store = StoreFixtures.options(new CountingMetrics()).connectTimeout(Duration.ofMillis(300))
                .build();
        AdminOptions admin = AdminOptions.builder().connectTimeout(Duration.ofMillis(300))
                .commandTimeout(Duration.ofMillis(300)).build();
        for (String shape : List.of("redis:{p}@{h}", "redis://{u}:{p}@{h}", "redis://{u}:{p}@{h}/notadb",
                "redis-cluster://{u}:{p}@{h},{h}", "redis://{u}@{p}@{h}", "redis://:{p}@{h}/0", "{u}:{p}@{h}")) {
            for (int i = 0; i < 3; i++) {
                String password = password(random);
                String uri = uri(shape, "app", password);
                String logged = capturingStderr(() -> {
                    List<String> messages = new ArrayList<>();
                    messages.add(failure(() -> RedisSessionStores.create(uri, store).close()));
                    messages.add(failure(() -> SessionAdmin.connect(uri, admin).close()));
                    return String.join("\n", messages);
                });
                assertNoPart(password, logged, "connecting to " + shape);
            }
        }
    }

    /** The message chain of what {@code r} threw (it must throw: nothing listens there). */
    private static String failure(Runnable r) {
        try {
            r.run();
            return "";
        } catch (RuntimeException e) {
            StringBuilder sb = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                sb.append(t).append('\n');
            }
            return sb.toString();
        }
    }

    /** What {@code body} returns, plus what was written to stderr meanwhile (where slf4j-simple logs). */
    private static String capturingStderr(Supplier<String> body) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return body.get() + "\n" + captured.toString(StandardCharsets.UTF_8);
        } finally {
            System.setErr(original);
        }
    }
}
