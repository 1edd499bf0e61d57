package io.tlssessioncache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: help, version, option parsing and the messages for bad input. */
class CliTest {

    @TempDir
    Path dir;

    /** Runs the CLI in-process; never reaches a listening server (every case here ends before). */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = TlsSessionCacheCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static ServerSettings parse(String... args) {
        CommandLine.ParseResult parsed = TlsSessionCacheCli.commandLine().parseArgs(args);
        return ((ServeCommand) parsed.subcommand().commandSpec().userObject()).settings();
    }

    @Test
    void serveHelpListsEveryOption() {
        Run help = run("serve", "--help");
        assertEquals(0, help.exitCode());
        CommandLine serve = TlsSessionCacheCli.commandLine().getSubcommands().get("serve");
        List<CommandLine.Model.OptionSpec> options = serve.getCommandSpec().options();
        assertTrue(options.size() >= 15, "options: " + options.size());
        for (CommandLine.Model.OptionSpec option : options) {
            assertTrue(help.out().contains(option.longestName()), option.longestName() + " missing from\n" + help.out());
            assertFalse(String.join(" ", option.description()).isBlank(), option.longestName() + " has no description");
        }
        for (String expected : List.of("--listen", "--cert", "--key", "--store", "--session-timeout", "--tickets",
                "--protocols", "--client-auth", "--trust", "--context-name", "--lookup-deadline", "--miss-retry-delay", "--key-prefix",
                "--sealing-key-file", "127.0.0.1:8443", "2h", "50ms")) {
            assertTrue(help.out().contains(expected), expected + " missing from\n" + help.out());
        }
    }

    @Test
    void topLevelHelpAndVersion() {
        Run help = run("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("serve"), help.out());
        Run version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("tls-session-cache 0.1.0"), version.out());
        Run bare = run();
        assertEquals(2, bare.exitCode());
        assertTrue(bare.err().contains("Missing required subcommand"), bare.err());
        assertTrue(bare.err().contains("serve"), bare.err());
    }

    @Test
    void defaults() {
        ServerSettings settings = parse("serve");
        assertEquals(List.of(new HostPort("127.0.0.1", 8443)), settings.listen());
        assertTrue(settings.certificate().isEmpty());
        assertEquals(new StoreSpec.Memory(), settings.store());
        assertEquals(Duration.ofHours(2), settings.sessionTimeout());
        assertEquals(1, settings.tickets());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), settings.protocols());
        assertEquals(ClientAuthMode.NONE, settings.clientAuth());
        assertEquals("default", settings.contextName());
        assertEquals(Duration.ofMillis(50), settings.lookupDeadline());
        assertEquals(Optional.empty(), settings.missRetryDelay()); // the store's default (5 ms)
    }

    @Test
    void options() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "x");
        Path key = Files.writeString(dir.resolve("k.pem"), "x");
        Path trust = Files.writeString(dir.resolve("t.pem"), "x");
        ServerSettings settings = parse("serve", "--listen", "127.0.0.1:0", "--listen", "[::1]:9443",
                "--cert", cert.toString(), "--key", key.toString(), "--session-timeout", "30m", "--tickets", "3",
                "--protocols", "TLSv1.3", "--client-auth", "REQUIRE", "--trust", trust.toString(),
                "--context-name", "edge-1", "--lookup-deadline", "20ms", "--store", "memory", "--max-sessions", "10");
        assertEquals(List.of(new HostPort("127.0.0.1", 0), new HostPort("::1", 9443)), settings.listen());
        assertEquals(cert, settings.certificate().orElseThrow().certificate());
        assertEquals(Duration.ofMinutes(30), settings.sessionTimeout());
        assertEquals(3, settings.tickets());
        assertEquals(List.of("TLSv1.3"), settings.protocols());
        assertEquals(ClientAuthMode.REQUIRE, settings.clientAuth());
        assertEquals(trust, settings.trust().orElseThrow());
        assertEquals("edge-1", settings.contextName());
        assertEquals(Duration.ofMillis(20), settings.lookupDeadline());
        assertEquals(10, settings.maxSessions());
        ServerSettings redis = parse("serve", "--store", "redis://127.0.0.1:6379", "--miss-retry-delay", "0ms");
        assertEquals(Optional.of(Duration.ZERO), redis.missRetryDelay());
    }

    @Test
    void badOptionsGiveAClearMessageAndExitCode2() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "x");
        record Case(List<String> args, String message) {
        }
        for (Case c : List.of(
                new Case(List.of("serve", "--listen", "localhost"), "is not HOST:PORT"),
                new Case(List.of("serve", "--listen", "127.0.0.1:70000"), "port must be 0 to 65535"),
                new Case(List.of("serve", "--session-timeout", "5"), "'5' is not a duration"),
                new Case(List.of("serve", "--session-timeout", "30d"), "at most 7d"),
                new Case(List.of("serve", "--lookup-deadline", "fast"), "'fast' is not a duration"),
                new Case(List.of("serve", "--cert", cert.toString()), "--cert and --key go together"),
                new Case(List.of("serve", "--cert", cert.toString(), "--key", dir.resolve("missing").toString()), "no such readable file"),
                new Case(List.of("serve", "--client-auth", "require"), "needs --trust"),
                new Case(List.of("serve", "--client-auth", "sometimes"), "not one of none, optional, require"),
                new Case(List.of("serve", "--protocols", "TLSv1.1"), "unknown protocol 'TLSv1.1'"),
                new Case(List.of("serve", "--tickets", "-1"), "--tickets must be 0 to 16"),
                new Case(List.of("serve", "--tickets", "many"), "--tickets"),
                new Case(List.of("serve", "--context-name", "a b"), "--context-name must be"),
                new Case(List.of("serve", "--store", "mysql://db"), "is neither 'memory' nor a Redis URI"),
                new Case(List.of("serve", "--key-prefix", "x"), "only used with a Redis --store"),
                new Case(List.of("serve", "--miss-retry-delay", "2ms"), "only used with a Redis --store"),
                new Case(List.of("serve", "--store", "redis://127.0.0.1:6379", "--miss-retry-delay", "2s"),
                        "--miss-retry-delay must be at most 1s"),
                new Case(List.of("serve", "--listne", "x"), "Unknown option"),
                new Case(List.of("frobnicate"), "Unmatched argument"))) {
            Run result = run(c.args().toArray(String[]::new));
            assertEquals(2, result.exitCode(), c + ": " + result.err());
            assertTrue(result.err().startsWith("error: "), c + ": " + result.err());
            assertTrue(result.err().contains(c.message()), c + ": " + result.err());
            assertTrue(result.err().lines().count() <= 4, "short message expected: " + result.err());
        }
    }

    @Test
    void redisUriPasswordsNeverShow() {
        StoreSpec spec = StoreSpec.parse("redis://user:s3cret@redis.example:6379/0");
        assertEquals(new StoreSpec.Redis("redis://user:s3cret@redis.example:6379/0"), spec);
        assertFalse(spec.toString().contains("s3cret"), spec.toString());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> StoreSpec.parse("mysql://u:s3cret@db"));
        assertFalse(bad.getMessage().contains("s3cret"), bad.getMessage());
        Run run = run("serve", "--store", "redis://:s3cret@127.0.0.1:1", "--listen", "127.0.0.1:0", "--lookup-deadline", "10ms");
        assertFalse(run.err().contains("s3cret"), run.err());
        assertFalse(run.out().contains("s3cret"), run.out());
    }

    @Test
    void storeUrisWithPasswordsInAnyShapeNeverShowThePassword() {
        java.util.Random random = new java.util.Random(21);
        for (String shape : io.tlssessioncache.redis.SecretUris.SHAPES) {
            String password = io.tlssessioncache.redis.SecretUris.password(random);
            String uri = io.tlssessioncache.redis.SecretUris.uri(shape, "app", password);
            Run serve = run("serve", "--store", uri, "--listen", "127.0.0.1:0", "--lookup-deadline", "10ms");
            io.tlssessioncache.redis.SecretUris.assertNoPart(password, serve.out() + serve.err(), "serve --store " + shape);
            try {
                io.tlssessioncache.redis.SecretUris.assertNoPart(password, StoreSpec.parse(uri).toString(), shape);
            } catch (IllegalArgumentException e) {
                io.tlssessioncache.redis.SecretUris.assertNoPart(password, e.getMessage(), "the error for " + shape);
            }
        }
    }

    @Test
    void aSealingKeyFileOthersCanReadIsRefused() throws Exception {
        Path keys = Files.writeString(dir.resolve("keys"), io.tlssessioncache.core.SealingKeyRing.newKeyLine(1) + "\n");
        Files.setPosixFilePermissions(keys, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Run run = run("serve", "--store", "redis://127.0.0.1:1", "--sealing-key-file", keys.toString(),
                "--listen", "127.0.0.1:0");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("mode 0644") && run.err().contains("chmod 600 " + keys), run.err());
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(50), DurationConverter.parse("50ms"));
        assertEquals(Duration.ofSeconds(2), DurationConverter.parse("2s"));
        assertEquals(Duration.ofMinutes(5), DurationConverter.parse("5m"));
        assertEquals(Duration.ofHours(2), DurationConverter.parse("2h"));
        assertEquals(Duration.ofDays(1), DurationConverter.parse("1d"));
        assertEquals(Duration.ofMinutes(90), DurationConverter.parse("PT1H30M"));
        for (String bad : List.of("", "5", "ms", "-5s", "5 parsecs", "1.5h")) {
            assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse(bad), bad);
        }
    }

    @Test
    void hostPorts() {
        assertEquals(new HostPort("127.0.0.1", 8443), HostPort.parse("127.0.0.1:8443"));
        assertEquals(new HostPort("::1", 0), HostPort.parse("[::1]:0"));
        assertEquals(new HostPort("0.0.0.0", 443), HostPort.parse(":443"));
        for (String bad : List.of("8443", "::1:8443", "host:", "host:x", "host:-1")) {
            assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
        }
    }
}
