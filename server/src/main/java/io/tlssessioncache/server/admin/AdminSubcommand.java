package io.tlssessioncache.server.admin;

import io.tlssessioncache.redis.SessionAdmin;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What every {@code admin} subcommand has and does: {@code --help}; its usage checked before it
 * connects; then its work with a {@link SessionAdmin} connected by the parent {@link AdminCommand}'s
 * options (store, key prefix, key ring, timeout), failures mapped to exit codes there. Picocli reads
 * the annotated fields of superclasses too.
 */
abstract class AdminSubcommand implements Callable<Integer> {

    @ParentCommand
    AdminCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Override
    public final Integer call() {
        CommandLine cl = spec.commandLine();
        checkUsage(cl);
        return parent.run(cl, admin -> execute(cl, admin));
    }

    /** Refuses what picocli cannot check itself, with a {@link CommandLine.ParameterException} (exit 2). */
    void checkUsage(CommandLine cl) {
    }

    /** The command's work, output on {@code cl}'s writers; returns the exit code. */
    abstract int execute(CommandLine cl, SessionAdmin admin);
}
