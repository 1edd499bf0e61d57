package io.tlssessioncache.server;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tls-session-cache serve}: runs HTTPS listeners that resume TLS sessions from a shared store. */
@Command(
        name = "serve",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        usageHelpAutoWidth = true,
        description = {
                "Runs an HTTPS server (HTTP/1.1 and HTTP/2 by ALPN) whose TLS sessions are kept in a session store, "
                        + "so that a client can resume on any listener (or any process) sharing that store.",
                "GET / answers whether this connection resumed. Prints 'listening on HOST:PORT' once each listener is ready; "
                        + "stops cleanly on SIGTERM or SIGINT.",
                ""})
final class ServeCommand implements Callable<Integer> {

    private static final Set<String> KNOWN_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
    private static final Pattern CONTEXT_NAME = Pattern.compile("[A-Za-z0-9._-]{1,32}");

    /** --max-connections where the platform reports no file limit. */
    private static final int DEFAULT_MAX_CONNECTIONS_WITHOUT_LIMIT = 10_000;

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServeCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = {"Address to listen on; repeat for several listeners in this process. Each listener is an "
                    + "independent server instance with its own TLS context; all share one store. "
                    + "Port 0 picks a free port (the real one is printed). Default: ${DEFAULT-VALUE}."},
            defaultValue = "127.0.0.1:8443")
    List<HostPort> listen = new ArrayList<>();

    @Option(names = "--cert", paramLabel = "FILE",
            description = "PEM certificate chain (leaf first). Needs --key. Without --cert and --key, a self-signed "
                    + "ECDSA P-256 certificate for localhost/127.0.0.1 is generated at start and deleted on exit.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "PEM private key (PKCS#8 or traditional) of --cert.")
    Path key;

    @Option(names = "--store", paramLabel = "STORE", converter = StoreSpec.Converter.class, defaultValue = "${env:TLS_SESSION_CACHE_STORE:-memory}",
            description = "Where sessions live: 'memory' (this process only) or a Redis URI shared by a fleet "
                    + "(redis://, rediss://, redis-sentinel://, redis-cluster://). Default: the environment variable "
                    + "TLS_SESSION_CACHE_STORE (keeps a Redis password out of the process arguments), else memory.")
    StoreSpec store;

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "100000",
            description = "Most sessions the in-process store keeps (least recently used go first). Default: ${DEFAULT-VALUE}.")
    long maxSessions;

    @Option(names = "--session-timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "2h",
            description = "How long a session can be resumed, e.g. 30m, 2h. Default: ${DEFAULT-VALUE}.")
    Duration sessionTimeout;

    @Option(names = "--tickets", paramLabel = "N", defaultValue = "1",
            description = "TLS 1.3 tickets sent after a full handshake (each is single-use; a resumption "
                    + "gets one new ticket). Raise it for clients that open parallel connections. Default: ${DEFAULT-VALUE}.")
    int tickets;

    @Option(names = "--protocols", paramLabel = "LIST", split = ",", defaultValue = "TLSv1.2,TLSv1.3",
            description = "Enabled TLS versions, comma-separated: TLSv1.2, TLSv1.3. Default: ${DEFAULT-VALUE}.")
    List<String> protocols;

    @Option(names = "--client-auth", paramLabel = "MODE", defaultValue = "none",
            converter = ClientAuthConverter.class,
            description = "Client certificates: none, optional (asked for, verified if sent) or require. "
                    + "optional and require need --trust. Default: ${DEFAULT-VALUE}.")
    ClientAuthMode clientAuth;

    @Option(names = "--trust", paramLabel = "FILE",
            description = "PEM CA certificates that client certificates must chain to (with --client-auth).")
    Path trust;

    @Option(names = "--context-name", paramLabel = "NAME", defaultValue = "default",
            description = "Name of this server configuration (1-32 of A-Z a-z 0-9 . _ -). Together with the certificate "
                    + "and client-auth policy it forms the namespace of the stored sessions: only servers with the same "
                    + "namespace resume each other's sessions. Default: ${DEFAULT-VALUE}.")
    String contextName;

    @Option(names = "--lookup-deadline", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "50ms",
            description = "How long a handshake waits for the store; after that it goes on as a full handshake. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration lookupDeadline;

    @Option(names = "--miss-retry-delay", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Redis store only: a lookup that found nothing asks Redis once more after this delay, "
                    + "within --lookup-deadline (a session stored by another node a moment ago may not have "
                    + "reached Redis yet); a second command for every miss. Default: 0ms (off).")
    Duration missRetryDelay;

    @Option(names = "--key-prefix", paramLabel = "PREFIX",
            description = "Redis store only: first part of every Redis key and of the invalidation channel "
                    + "(1-64 of A-Z a-z 0-9 . _ -; default tls-session), e.g. to give a Redis ACL user ~PREFIX:*.")
    String keyPrefix;

    @Option(names = "--sealing-key-file", paramLabel = "FILE",
            description = {"Redis store only: the key ring that seals sessions at rest (lines 'ID:BASE64-32-BYTE-KEY'; "
                    + "the first key seals, all open). Default: the environment variable " + SessionStores.SEALING_KEYS_ENV
                    + "; without either, a key for this process only is generated (other servers cannot resume its sessions)."})
    Path sealingKeyFile;

    @Option(names = "--request-head-timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "10s",
            description = "How long after the TLS handshake a connection's first request may take to arrive in full "
                    + "(HTTP/1.1: request line, headers and body; HTTP/2: preface and the first stream's HEADERS), "
                    + "however slowly its bytes come; later HTTP/1.1 requests get the same from their first byte. "
                    + "0s: no limit. Default: ${DEFAULT-VALUE}.")
    Duration requestHeadTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Most open client connections over all listeners; one more is closed at accept (a TCP reset, "
                    + "before any TLS work) and counted. Default: 90%% of the process's open-file limit "
                    + "(ulimit -n) minus " + ConnectionLimiter.FD_RESERVE + " kept for Redis, logs and the metrics listener.")
    Integer maxConnections;

    @Option(names = "--peer-error-log-interval", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "60s",
            description = "Peers' errors (resets, failed handshakes, bad records, timeouts) are counted and logged at DEBUG; "
                    + "at INFO (WARN when connections were refused) at most one summary line per interval. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration peerErrorLogInterval;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "Also serve the meters (lookups, hits, misses, rejections, store errors, lookup latency) "
                    + "in Prometheus' text format at http://HOST:PORT/metrics, plain HTTP: bind it to an internal address. "
                    + "Default: no metrics listener.")
    HostPort metricsListen;

    @Override
    public Integer call() throws Exception {
        ServerSettings settings = settings();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServerNode node;
        try {
            node = ServerNode.start(settings);
        } catch (SessionStores.StoreOptionException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        } catch (Exception e) {
            // Cannot bind, cannot reach the store, unreadable certificate: the usage text would not help.
            log.debug("start failed", e);
            err.println("error: " + (e instanceof ServerNode.ListenException ? "" : "cannot start: ") + message(e));
            err.flush();
            return 1;
        }
        Thread hook = new Thread(node::close, "tls-session-cache-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        for (InetSocketAddress address : node.addresses()) {
            out.println("listening on " + HostPort.format(address));
        }
        node.metricsAddress().ifPresent(address ->
                out.println("metrics on http://" + HostPort.format(address) + "/metrics"));
        out.flush();
        node.awaitTermination();
        return 0;
    }

    /** The most telling message of a cause chain (never a secret: no component puts one in a message). */
    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /** The options, checked; a {@link ParameterException} says what is wrong. */
    ServerSettings settings() {
        CommandLine cl = spec.commandLine();
        if ((cert == null) != (key == null)) {
            throw new ParameterException(cl, "--cert and --key go together: give both, or neither for a generated self-signed certificate");
        }
        requireReadable(cl, "--cert", cert);
        requireReadable(cl, "--key", key);
        requireReadable(cl, "--trust", trust);
        requireReadable(cl, "--sealing-key-file", sealingKeyFile);
        if (clientAuth != ClientAuthMode.NONE && trust == null) {
            throw new ParameterException(cl, "--client-auth " + clientAuth.name().toLowerCase() + " needs --trust FILE (the CAs client certificates chain to)");
        }
        if (clientAuth == ClientAuthMode.NONE && trust != null) {
            throw new ParameterException(cl, "--trust is only used with --client-auth optional or require");
        }
        if (store instanceof StoreSpec.Memory && (keyPrefix != null || sealingKeyFile != null)) {
            throw new ParameterException(cl, "--key-prefix and --sealing-key-file are only used with a Redis --store");
        }
        for (String protocol : protocols) {
            if (!KNOWN_PROTOCOLS.contains(protocol)) {
                throw new ParameterException(cl, "--protocols: unknown protocol '" + protocol + "' (use TLSv1.2, TLSv1.3)");
            }
        }
        if (tickets < 0 || tickets > 16) {
            throw new ParameterException(cl, "--tickets must be 0 to 16, not " + tickets);
        }
        if (maxSessions < 1) {
            throw new ParameterException(cl, "--max-sessions must be at least 1");
        }
        if (sessionTimeout.isZero() || sessionTimeout.compareTo(Duration.ofDays(7)) > 0) {
            throw new ParameterException(cl, "--session-timeout must be more than 0 and at most 7d (RFC 8446 limits ticket lifetime to 7 days)");
        }
        if (lookupDeadline.isZero() || lookupDeadline.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new ParameterException(cl, "--lookup-deadline must be more than 0 and at most 10s");
        }
        if (missRetryDelay != null && missRetryDelay.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new ParameterException(cl, "--miss-retry-delay must be at most 1s");
        }
        if (requestHeadTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new ParameterException(cl, "--request-head-timeout must be at most 10m");
        }
        if (maxConnections != null && maxConnections < 1) {
            throw new ParameterException(cl, "--max-connections must be at least 1");
        }
        if (peerErrorLogInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ParameterException(cl, "--peer-error-log-interval must be at least 1s");
        }
        if (!CONTEXT_NAME.matcher(contextName).matches()) {
            throw new ParameterException(cl, "--context-name must be 1 to 32 characters of A-Z a-z 0-9 . _ -");
        }
        return new ServerSettings(
                listen,
                cert == null ? Optional.empty() : Optional.of(new ServerSettings.CertificateFiles(cert, key)),
                store,
                maxSessions,
                sessionTimeout,
                tickets,
                List.copyOf(new java.util.LinkedHashSet<>(protocols)),
                clientAuth,
                Optional.ofNullable(trust),
                contextName,
                lookupDeadline,
                Optional.ofNullable(keyPrefix),
                Optional.ofNullable(sealingKeyFile),
                Optional.ofNullable(metricsListen),
                Optional.ofNullable(missRetryDelay),
                requestHeadTimeout,
                maxConnections != null ? maxConnections
                        : (int) ConnectionLimiter.defaultMax().orElse(DEFAULT_MAX_CONNECTIONS_WITHOUT_LIMIT),
                peerErrorLogInterval);
    }

    private static void requireReadable(CommandLine cl, String option, Path file) {
        if (file != null && !Files.isReadable(file)) {
            throw new ParameterException(cl, option + " " + file + ": no such readable file");
        }
    }

    /** Accepts none/optional/require in any case. */
    static final class ClientAuthConverter implements CommandLine.ITypeConverter<ClientAuthMode> {
        @Override
        public ClientAuthMode convert(String value) {
            for (ClientAuthMode mode : ClientAuthMode.values()) {
                if (mode.name().equalsIgnoreCase(value.strip())) {
                    return mode;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not one of none, optional, require");
        }
    }
}
