package io.tlssessioncache.server.admin;

import io.tlssessioncache.core.SealingKeyRing;
import io.tlssessioncache.redis.AdminException;
import io.tlssessioncache.redis.AdminOptions;
import io.tlssessioncache.redis.SessionAdmin;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code tls-session-cache admin --store URI [--key-prefix P] [--sealing-key-file F] COMMAND}: operator
 * commands on a Redis session store ({@link SessionAdmin} on the command line).
 *
 * <p>Exit codes: 0 done, 1 nothing matched, 2 bad usage, 3 store unreachable, 4 Redis refused
 * (ACL: the servers' user cannot run admin commands) or failed.
 */
@Command(
        name = "admin",
        sortOptions = false,
        usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND",
        description = {
                "Operator commands on a Redis session store: end sessions (one id, by SNI host name, client certificate, "
                        + "age, or all), count them, inspect one. Evictions by selector write a revocation watermark that every "
                        + "server honours on its next lookup, then sweep the matching entries out of Redis.",
                ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:done",
                "1:nothing matched",
                "2:bad usage",
                "3:store unreachable",
                "4:Redis refused the command (ACL user without admin rights) or failed"},
        subcommands = {EvictCommand.class, StatsCommand.class, InspectCommand.class})
public final class AdminCommand {

    static final int OK = 0;
    static final int NOTHING_MATCHED = 1;
    static final int USAGE = 2;
    static final int UNREACHABLE = 3;
    static final int REFUSED = 4;

    /** Where the key ring is read from when {@code --sealing-key-file} is not given (as for {@code serve}). */
    static final String SEALING_KEYS_ENV = "TLS_SESSION_CACHE_SEALING_KEYS";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /** Where {@code --store} is read from when not given (docker-compose's admin service sets it). */
    static final String STORE_ENV = "TLS_SESSION_CACHE_STORE";

    @Option(names = "--store", paramLabel = "URI", defaultValue = "${env:" + STORE_ENV + "}",
            description = "The Redis store the servers use: redis://, rediss://, redis-sentinel://, "
                    + "redis-cluster://host:port,host:port (user and password of an admin ACL user, e.g. tls-admin). "
                    + "Default: the environment variable " + STORE_ENV + ".")
    String store;

    @Option(names = "--key-prefix", paramLabel = "PREFIX", defaultValue = AdminOptions.DEFAULT_KEY_PREFIX,
            description = "The servers' --key-prefix. Default: ${DEFAULT-VALUE}.")
    String keyPrefix;

    @Option(names = "--sealing-key-file", paramLabel = "FILE",
            description = "The servers' key ring, to read session metadata (SNI, client certificate, age). Default: the "
                    + "environment variable " + SEALING_KEYS_ENV + ". Without it, only --id, --all and totals work.")
    Path sealingKeyFile;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "3s", converter = Converters.Age.class,
            description = "Connect and command timeout. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    /** Connects with the options given; usage problems become {@link ParameterException}s (exit 2). */
    SessionAdmin open(CommandLine sub) {
        if (store == null || store.isBlank()) {
            throw new ParameterException(sub, "Missing the store: give --store URI (or set " + STORE_ENV + ")");
        }
        AdminOptions.Builder options = AdminOptions.builder()
                .connectTimeout(timeout)
                .commandTimeout(timeout);
        try {
            options.keyPrefix(keyPrefix);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(sub, "--key-prefix: " + e.getMessage());
        }
        try {
            if (sealingKeyFile != null) {
                if (!Files.isReadable(sealingKeyFile)) {
                    throw new ParameterException(sub, "--sealing-key-file " + sealingKeyFile + ": no such readable file");
                }
                options.keyRing(SealingKeyRing.fromFile(sealingKeyFile));
            } else if (System.getenv(SEALING_KEYS_ENV) != null && !System.getenv(SEALING_KEYS_ENV).isBlank()) {
                options.keyRing(SealingKeyRing.fromEnvironment(SEALING_KEYS_ENV));
            }
        } catch (IllegalArgumentException | UncheckedIOException e) {
            // Key ring messages name the line and the problem, never a key.
            throw new ParameterException(sub, "sealing key ring: " + e.getMessage());
        }
        try {
            return SessionAdmin.connect(store, options.build());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(sub, "--store: " + e.getMessage());
        }
    }

    /** Runs {@code body} with a connected admin, mapping failures to exit codes and clear messages on stderr. */
    int run(CommandLine sub, Body body) {
        PrintWriter err = sub.getErr();
        try (SessionAdmin admin = open(sub)) {
            return body.run(admin);
        } catch (AdminException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return e.kind() == AdminException.Kind.UNREACHABLE ? UNREACHABLE : REFUSED;
        }
    }

    @FunctionalInterface
    interface Body {
        int run(SessionAdmin admin);
    }
}
