package io.tlssessioncache.server.admin;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What every {@code admin} subcommand has: {@code --help}, its picocli spec, and the parent
 * {@link AdminCommand} whose options (store, key prefix, key ring, timeout) it connects with
 * ({@code parent.run}). Picocli reads annotated fields of superclasses too.
 */
abstract class AdminSubcommand {

    @ParentCommand
    AdminCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
