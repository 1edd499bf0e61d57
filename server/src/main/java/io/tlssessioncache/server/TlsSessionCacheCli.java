package io.tlssessioncache.server;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tls-session-cache} command line: {@code serve} runs the HTTPS server. Further
 * subcommands (administration of the store) register in {@link #commandLine()}.
 */
@Command(
        name = "tls-session-cache",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND",
        description = {"Stateful TLS session resumption for Netty servers, shared by a fleet: "
                + "the ticket is a lookup key into a session store.", ""},
        subcommands = {ServeCommand.class, io.tlssessioncache.server.admin.AdminCommand.class, TrainCommand.class, CommandLine.HelpCommand.class})
public final class TlsSessionCacheCli {

    private TlsSessionCacheCli() {
    }

    /** The configured command line; tests and embedders call {@code execute} or {@code parseArgs} on it. */
    public static CommandLine commandLine() {
        return new CommandLine(new TlsSessionCacheCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setUsageHelpAutoWidth(true)
                .setParameterExceptionHandler(TlsSessionCacheCli::badUsage);
    }

    /** A short, clear message for bad input rather than the whole usage text (except for a bare command). */
    private static int badUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("error: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        if (cl.getParent() == null && !cl.getSubcommands().isEmpty() && args.length == 0) {
            cl.usage(err);
        } else {
            err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
