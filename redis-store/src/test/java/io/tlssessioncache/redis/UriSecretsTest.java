package io.tlssessioncache.redis;

import static io.tlssessioncache.redis.SecretUris.SHAPES;
import static io.tlssessioncache.redis.SecretUris.assertNoPart;
import static io.tlssessioncache.redis.SecretUris.password;
import static io.tlssessioncache.redis.SecretUris.uri;
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
 * A store URI holding a password, in many malformed shapes ({@link SecretUris}): no error message,
 * no redacted form and no log line may carry any part of the password.
 */
@Timeout(120)
class UriSecretsTest {
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
